"""The health of a kit's components: found, intact, loadable (what `agentsdk doctor`
prints). Never raises for a model: each failure is a status with its reason."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentsdk.errors import (
    AgentSDKError,
    MissingDependencyError,
    ModelError,
    ModelNotFoundError,
    WeightsIntegrityError,
)
from agentsdk.voices import SpeechSynthesizer
from agentsdk.weights import ComponentSpec, load_component, locate, require_runtime, verify

__all__ = ["ComponentCheck", "check_component", "check_voice"]


@dataclass(frozen=True, slots=True)
class ComponentCheck:
    """What `Kit.check` found for one component."""

    role: str
    model: str
    status: Literal["ok", "found", "missing", "corrupt", "unloadable"]
    """ok: found, intact and loaded; found: found and intact (not loaded); else the failure."""
    path: Path | None = None
    detail: str = ""
    load_seconds: float | None = None

    @property
    def usable(self) -> bool:
        return self.status in ("ok", "found")


def check_component(spec: ComponentSpec, *, load: bool, verify_files: bool) -> ComponentCheck:
    """Find, verify (with `verify_files`) and (with `load`) load one component."""
    try:
        folder = locate(spec)
    except ModelNotFoundError as exc:
        return ComponentCheck(spec.role, spec.model, "missing", None, str(exc))
    try:
        require_runtime(spec)
        if verify_files:
            verify(spec, folder)
    except MissingDependencyError as exc:
        return ComponentCheck(spec.role, spec.model, "missing", folder, str(exc))
    except WeightsIntegrityError as exc:
        return ComponentCheck(spec.role, spec.model, "corrupt", folder, str(exc))
    if not load:
        return ComponentCheck(spec.role, spec.model, "found", folder)
    started = time.perf_counter()
    try:
        load_component(spec, check=False)
    except (ModelError, MissingDependencyError, OSError, RuntimeError, ValueError) as exc:
        return ComponentCheck(spec.role, spec.model, "unloadable", folder, f"{exc}")
    return ComponentCheck(
        spec.role, spec.model, "ok", folder, load_seconds=time.perf_counter() - started
    )


def check_voice(voice: SpeechSynthesizer, *, load: bool) -> ComponentCheck:
    """The voice, and (with `load`) whether it speaks: it says one short sentence."""
    if not load:
        return ComponentCheck("voice", voice.name, "found")
    started = time.perf_counter()
    try:
        voice.synthesize("Ready.")
    except (AgentSDKError, OSError, RuntimeError, ValueError) as exc:
        return ComponentCheck("voice", voice.name, "unloadable", None, str(exc))
    return ComponentCheck("voice", voice.name, "ok", load_seconds=time.perf_counter() - started)

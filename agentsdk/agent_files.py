"""Agents named in Python: "FILE.py:NAME" or "MODULE:NAME".

What `agentsdk chat --agent`, `agentsdk learn export --agent` and `agentsdk serve
--agents` read: NAME in the Python file FILE.py (run as a module of its own) or in the
importable MODULE; a function without arguments that is not an agent is called, and
what it returns is the object. Each command then checks what it needs (an `Agent`, or
for a server a mapping of names to agents). Free of FastAPI and the other extras.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from agentsdk.agent import Agent
from agentsdk.errors import ConfigurationError

__all__ = ["load_named"]


def _names(source: str) -> dict[str, Any]:
    """The module-level names of a Python file, or of an importable module."""
    path = Path(source)
    if source.endswith(".py") or path.is_file():
        if not path.is_file():
            raise ConfigurationError(f"no such file: {source}")
        spec = importlib.util.spec_from_file_location(f"_agentsdk_file_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ConfigurationError(f"cannot load {source} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and type hints look it up there
        spec.loader.exec_module(module)
        return vars(module)
    try:
        return vars(importlib.import_module(source))
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {source}: {exc}") from None


def load_named(spec: str, *, option: str = "--agent", example: str = "app.py:agent") -> Any:
    """The object `spec` ("FILE.py:NAME" or "MODULE:NAME") names; a function that is not
    an `Agent` is called without arguments first. ConfigurationError, naming `option`,
    for a spec without a name, a missing file or module, or a name it does not hold."""
    source, colon, name = spec.rpartition(":")
    if not colon or not source or not name:
        raise ConfigurationError(
            f"{option} {spec!r}: give FILE.py:NAME or MODULE:NAME (e.g. {example})"
        )
    try:
        names = _names(source)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{option}: {exc}") from None
    if name not in names:
        raise ConfigurationError(f"{option}: {source} has no {name!r}")
    found = names[name]
    if callable(found) and not isinstance(found, Agent):
        found = found()
    return found

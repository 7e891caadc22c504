"""Setting a run up, before its loop: what it runs with, resolved once from the agent's
configuration and checked against the inputs.

- `Tooling.of(agent)`: the kit, the tools by name and their schemas.
- `set_up(...)`: models that are not in memory yet load (announced by `ModelLoading` /
  `ModelLoaded`, since a first load takes seconds); the model and the router are
  resolved; when PII must be redacted for the model (`Agent(redact_pii=...)`) it is
  wrapped in a `RedactingModel` with the run's vault; the configuration is checked (a
  typo in an approval or escalation name must not switch a safeguard off; native media
  must not go to a remote model unless allowed; every part needs an encoder); media sent
  natively are resized.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError
from agentsdk.events import Event, ModelLoaded, ModelLoading
from agentsdk.kit import Kit
from agentsdk.media import Image
from agentsdk.messages import Part, Text
from agentsdk.models.base import ChatModel, ToolSchema
from agentsdk.models.resolve import resolve_model
from agentsdk.router import Router
from agentsdk.run.state import RunState
from agentsdk.tools import Tool, as_tool, tools_by_name

if TYPE_CHECKING:
    from agentsdk.agent import Agent
    from agentsdk.safety import PIIVault
    from agentsdk.safety.redacting_model import RedactingModel

__all__ = ["Setup", "Tooling", "set_up"]


@dataclass(frozen=True, slots=True)
class Tooling:
    """What a run needs before anything loads."""

    kit: Kit | None
    tools: dict[str, Tool[..., Any]]
    schemas: list[ToolSchema]

    @classmethod
    def of(cls, agent: Agent) -> Tooling:
        kit = agent.kit if agent.kit is not None else (Kit.stock() if agent.model is None else None)
        tools = tools_by_name([as_tool(t) for t in agent.tools])
        return cls(kit, tools, [tool.shared_schema() for tool in tools.values()])


@dataclass(frozen=True, slots=True)
class Setup:
    """What a run runs with, once loaded and checked."""

    model: ChatModel
    """The model the loop calls: the agent's, or its `RedactingModel` wrapper."""
    router: Router
    vault: PIIVault | None = None
    """The run's PII vault, when PII is redacted for the model."""
    private: RedactingModel | None = None
    """The model, wrapped, when PII is redacted for it."""


async def set_up(
    agent: Agent,
    tooling: Tooling,
    state: RunState,
    parts: Sequence[Part] | None,
    *,
    emit: Callable[[Event], None],
    clock: Callable[[], float],
    timings: dict[str, float],
) -> Setup:
    """Load, resolve and check what the run needs (see the module's docstring); `parts`
    are the inputs of a new run (None on resume)."""
    kit, encoding = tooling.kit, agent.perception != "native"
    if kit is not None:
        await _load(agent, kit, state.run_id, encoding, emit, clock, timings)
    if isinstance(agent.model, str):  # a name may load a model: off the loop
        model: ChatModel = await asyncio.to_thread(resolve_model, agent.model)
    elif agent.model is not None:
        model = resolve_model(agent.model)
    else:
        model = kit.llm if kit is not None else resolve_model("stock")
    if agent.router is not None:
        router = agent.router
    elif kit is not None and encoding:
        router = Router.from_kit(kit)
    else:
        router = Router()
    _check_media_may_leave(agent, model)
    _check_names(agent, tooling.tools, router, encoding)
    if parts is not None:
        if encoding:
            _check_parts(parts, router)
        if agent.perception != "encoders":
            side = agent.image_max_side
            state.media = [
                p.resized(side) if isinstance(p, Image) else p
                for p in parts
                if not isinstance(p, Text)
            ]
    mode = agent.redact_pii
    if mode == "always" or (mode == "remote" and model.remote):
        from agentsdk.safety import PIIVault
        from agentsdk.safety.redacting_model import RedactingModel

        vault = PIIVault.from_dict(state.vault) if state.vault else PIIVault()
        private = RedactingModel(model, vault)
        return Setup(private, router, vault, private)
    return Setup(model, router)


async def _load(
    agent: Agent,
    kit: Kit,
    run_id: str,
    encoding: bool,
    emit: Callable[[Event], None],
    clock: Callable[[], float],
    timings: dict[str, float],
) -> None:
    roles = [
        role
        for role in kit.unloaded()
        if (role == "llm" and agent.model is None)
        or (role != "llm" and agent.router is None and encoding)
    ]
    for index, role in enumerate(roles, start=1):
        emit(ModelLoading(run_id=run_id, time=clock(), role=role, index=index, count=len(roles)))
        began = time.perf_counter()
        await asyncio.to_thread(kit.load, role)
        seconds = time.perf_counter() - began
        timings[f"load:{role}"] = seconds
        emit(
            ModelLoaded(
                run_id=run_id,
                time=clock(),
                role=role,
                index=index,
                count=len(roles),
                seconds=seconds,
            )
        )


def _check_media_may_leave(agent: Agent, model: ChatModel) -> None:
    if agent.perception != "encoders" and model.remote and not agent.remote_media:
        raise ConfigurationError(
            f"perception={agent.perception!r} would send images and audio to the remote "
            f"model {model.name!r}, and pixels and sound cannot be redacted: pass "
            "Agent(remote_media=True) to allow it, or use perception='encoders'"
        )


def _check_names(
    agent: Agent, tools: dict[str, Tool[..., Any]], router: Router, encoding: bool
) -> None:
    """A typo in an approval or escalation name must not switch a safeguard off."""
    unknown = sorted(set(agent.approvals) - set(tools))
    if unknown:
        known = ", ".join(sorted(tools)) or "none"
        raise ConfigurationError(
            f"approvals name tools the agent does not have: {unknown}; its tools: {known}"
        )
    encoders = {e.name for e in router.encoders}
    unknown = sorted(set(agent.escalation) - encoders) if encoding else []
    if unknown:
        known = ", ".join(sorted(encoders)) or "none"
        raise ConfigurationError(
            f"escalation names encoders the agent does not have: {unknown}; its encoders: {known}"
        )


def _check_parts(parts: Sequence[Part], router: Router) -> None:
    for part in parts:
        if not isinstance(part, Text) and not router.reading(part.modality):
            raise ConfigurationError(
                f"no encoder reads {part.modality} parts: give the agent a kit or a "
                f"router with an encoder of modality {part.modality!r}"
            )

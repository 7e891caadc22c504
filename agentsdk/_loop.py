"""The agent loop, in phases: perceive -> confirm -> fuse -> (think -> act)* -> finish.

- perceive: the router runs every encoder on every part, concurrently; observations under
  their encoder's escalation threshold become perception interruptions.
- confirm: decisions on those are applied (confirmed, corrected, dropped); while any is
  unanswered the run pauses.
- fuse: observations and the user's text become one user message within the budget
  (PII redacted first when the model is remote); input guardrails check it.
- think: one model turn (streamed as token deltas when someone listens).
- act: the turn's tool calls pass the approval gate (`agentsdk._gate`); the cleared ones
  run in parallel; results go back to the model as tool messages, errors included.

The run's progress lives in a `RunState`, saved by the agent's checkpoint store after
every step, so a paused or crashed run resumes where it stopped (`resume`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from agentsdk._gate import Gate
from agentsdk.approvals import Evidence, EvidenceSection, Interruption
from agentsdk.audit import AuditEntry
from agentsdk.encoders.base import Observation
from agentsdk.errors import ConfigurationError
from agentsdk.events import (
    Event,
    InterruptionRaised,
    PromptBuilt,
    RunFinished,
    RunStarted,
    TokenDelta,
    Trace,
)
from agentsdk.fusion import FusedPrompt, fuse
from agentsdk.kit import Kit
from agentsdk.media import Audio, Image
from agentsdk.messages import Message, Text
from agentsdk.models.base import ChatModel, ModelResponse
from agentsdk.models.resolve import resolve_model
from agentsdk.router import Router
from agentsdk.run import FinishReason, Part, RunResult
from agentsdk.state import RunState
from agentsdk.tools import Tool, as_tool, tools_by_name

if TYPE_CHECKING:
    from agentsdk.agent import Agent
    from agentsdk.safety import PIIVault

__all__ = ["execute", "resume"]

REDACTED = frozenset({"speech", "ocr"})
"""Observation kinds whose text is redacted before a remote model reads it."""


async def execute(
    agent: Agent,
    parts: Sequence[Part],
    *,
    emit: Callable[[Event], None] | None,
    thread_id: str | None = None,
) -> RunResult:
    """A new run on `parts`."""
    run_id = uuid.uuid4().hex[:12]
    state = RunState(
        run_id=run_id,
        thread_id=thread_id or (run_id if agent.checkpointer is not None else None),
        parts=[_describe(p) for p in parts],
        user_text="\n".join(p.text for p in parts if isinstance(p, Text)),
    )
    return await _Run(agent, state, emit, parts=parts).go()


async def resume(
    agent: Agent, state: RunState, *, emit: Callable[[Event], None] | None
) -> RunResult:
    """Go on from a saved state: decisions are applied, nothing already done is redone."""
    if state.phase == "finished":
        raise ConfigurationError(f"run {state.run_id} has finished; there is nothing to resume")
    return await _Run(agent, state, emit).go()


def _describe(part: Part) -> str:
    if isinstance(part, Text):
        return "text"
    kind = "image" if isinstance(part, Image) else "audio"
    return f"{kind} {part.name}" if part.name else kind


class _Run:
    def __init__(
        self,
        agent: Agent,
        state: RunState,
        sink: Callable[[Event], None] | None,
        *,
        parts: Sequence[Part] | None = None,
    ) -> None:
        self.agent = agent
        self.state = state
        self.parts = None if parts is None else list(parts)
        self.sink = sink
        self.started = time.perf_counter()
        self.trace = Trace()
        self.timings: dict[str, float] = {"model": 0.0, "tools": 0.0}
        kit = agent.kit if agent.kit is not None else (Kit.stock() if agent.model is None else None)
        self.model: ChatModel = (
            resolve_model(agent.model)
            if agent.model is not None
            else (kit.llm if kit is not None else resolve_model("stock"))
        )
        self.router = agent.router or (Router.from_kit(kit) if kit is not None else Router())
        self.tools: dict[str, Tool] = tools_by_name([as_tool(t) for t in agent.tools])
        self.schemas = [tool.schema() for tool in self.tools.values()]
        self.vault: PIIVault | None = None
        if self.redacting:
            from agentsdk.safety import PIIVault

            self.vault = PIIVault.from_dict(state.vault) if state.vault else PIIVault()
        if self.parts is not None:
            self._check_parts(self.parts)

    @property
    def redacting(self) -> bool:
        """Transcripts, OCR text and tool results are redacted before the model reads them."""
        mode = self.agent.redact_pii
        return mode == "always" or (mode == "remote" and bool(getattr(self.model, "remote", False)))

    def _check_parts(self, parts: Sequence[Part]) -> None:
        for part in parts:
            if isinstance(part, Image) and not self.router.image:
                raise ConfigurationError(
                    "no encoder reads images: give the agent a kit or a router"
                )
            if isinstance(part, Audio) and not self.router.audio:
                raise ConfigurationError("no encoder hears audio: give the agent a kit or a router")

    def clock(self) -> float:
        return time.perf_counter() - self.started

    def emit(self, event: Event) -> None:
        self.trace.append(event)
        if self.sink is not None:
            self.sink(event)

    def checkpoint(self) -> None:
        """Save the state (when the agent has a store); called after every step."""
        if self.vault is not None:
            self.state.vault = self.vault.to_dict()
        store = self.agent.checkpointer
        if store is not None and self.state.thread_id:
            store.save(self.state)

    def audit(self, entry: AuditEntry) -> None:
        self.state.audit.append(entry)

    # -- the loop ----------------------------------------------------------------------

    async def go(self) -> RunResult:
        state = self.state
        self.emit(
            RunStarted(
                run_id=state.run_id,
                time=0.0,
                parts=tuple(state.parts),
                resumed=self.parts is None,
            )
        )
        if self.parts is not None:
            await self.perceive(self.parts)
            self.checkpoint()
        gate = Gate(self)
        while True:
            if state.phase == "confirm":
                await gate.apply_perception_decisions()
                if state.pending:
                    return self.pause()
                await self.fuse()
                state.phase = "think"
                self.checkpoint()
            elif state.phase == "think":
                if state.step >= self.agent.limits.max_steps:
                    return await self.finish("max_steps")
                response = await self.think()
                state.messages.append(response.to_message())
                if not response.tool_calls:
                    length = response.finish_reason == "length"
                    return await self.finish("length" if length else "stop")
                state.phase, state.turn_calls, state.turn_results = (
                    "act",
                    list(response.tool_calls),
                    {},
                )
                self.checkpoint()
            elif state.phase == "act":
                began = time.perf_counter()
                await gate.act()
                self.timings["tools"] += time.perf_counter() - began
                if state.pending:
                    return self.pause()
                state.messages += [
                    Message.tool(state.turn_results[call.id]) for call in state.turn_calls
                ]
                state.phase, state.turn_calls, state.turn_results = "think", [], {}
                self.checkpoint()
            else:
                return self.result()

    async def perceive(self, parts: Sequence[Part]) -> None:
        perception = await self.router.perceive(parts, self.emit, self.clock, self.state.run_id)
        self.timings["perceive"] = perception.seconds
        for job, seconds in perception.latencies.items():
            self.timings[f"encoder:{job}"] = seconds
        self.state.observations = list(perception.observations)
        self.state.perception_failures = list(perception.failures)
        for observation in self.state.observations:
            threshold = self.agent.escalation.get(observation.encoder)
            if threshold is not None and observation.confidence < threshold:
                self.state.interruptions.append(
                    self.perception_interruption(observation, threshold)
                )

    def perception_interruption(self, observation: Observation, threshold: float) -> Interruption:
        where = f" of {observation.part_name}" if observation.part_name else ""
        reason = (
            f"the {observation.encoder} encoder is unsure of what it perceived{where} "
            f"(confidence {observation.confidence:.2f} < {threshold:.2f}): confirm or correct it "
            "before the model uses it"
        )
        evidence = Evidence(
            reason=reason,
            user_text=self.state.user_text,
            sections=(EvidenceSection.of(observation),),
        )
        return Interruption(
            kind="perception", evidence=evidence, observation=observation, threshold=threshold
        )

    async def fuse(self) -> None:
        began = time.perf_counter()
        state = self.state
        observations = state.observations
        if self.vault is not None:  # the model reads placeholders; tools get real values
            vault = self.vault
            observations = [
                vault.redact_observation(o) if o.kind in REDACTED else o for o in observations
            ]
        count = getattr(self.model, "count_tokens", None)
        prompt = fuse(
            state.user_text,
            observations,
            budget=self.agent.limits.prompt_tokens,
            count_tokens=count,
        )
        self.timings["fuse"] = time.perf_counter() - began
        self.emit(
            PromptBuilt(
                run_id=state.run_id,
                time=self.clock(),
                tokens=prompt.tokens,
                sections=len(prompt.sections),
                dropped=prompt.dropped,
            )
        )
        state.prompt = prompt
        state.messages = [Message.system(self.agent.instructions), Message.user(prompt.text)]
        await self.guard("input", prompt.text)

    async def guard(self, stage: Literal["input", "output"], text: str) -> None:
        """Run the agent's guardrails of `stage`; the runner decides: a tripwire raises
        `GuardrailTripped`, after the state (with the verdicts audited) is saved."""
        guardrails = [g for g in self.agent.guardrails if g.stage == stage]
        if not guardrails:
            return
        from agentsdk.safety import check_guardrails, tripwire_error

        verdicts = await check_guardrails(guardrails, text, self.state, stage=stage)
        error = tripwire_error(verdicts, stage=stage)
        if error is None:
            return
        for verdict in error.tripped:
            self.audit(
                AuditEntry(
                    action="guardrail",
                    actor="agent",
                    what={"stage": stage, **verdict.to_dict()},
                    run_id=self.state.run_id,
                    thread_id=self.state.thread_id,
                )
            )
        self.checkpoint()
        error.state = self.state
        raise error

    async def think(self) -> ModelResponse:
        began = time.perf_counter()
        state = self.state
        state.step += 1
        step, messages, settings = state.step, list(state.messages), self.agent.settings
        if self.sink is None:
            response = await asyncio.to_thread(
                self.model.generate, messages, tools=self.schemas, settings=settings
            )
        else:
            loop = asyncio.get_running_loop()

            def streamed() -> ModelResponse:
                stream = self.model.stream(messages, tools=self.schemas, settings=settings)
                for delta in stream:
                    event = TokenDelta(
                        run_id=state.run_id, time=self.clock(), text=delta, step=step
                    )
                    loop.call_soon_threadsafe(self.emit, event)
                return stream.response

            response = await asyncio.to_thread(streamed)
        self.timings["model"] += time.perf_counter() - began
        state.usage += response.usage
        return response

    def pause(self) -> RunResult:
        state = self.state
        state.finish_reason = "interrupted"
        for interruption in state.pending:
            self.emit(
                InterruptionRaised(
                    run_id=state.run_id, time=self.clock(), interruption=interruption
                )
            )
        self.checkpoint()
        return self.result()

    async def finish(self, reason: FinishReason) -> RunResult:
        state = self.state
        last = state.messages[-1] if state.messages else None
        text = last.content if last is not None and last.role == "assistant" else ""
        await self.guard("output", text)  # what the model wrote, before restoring PII
        state.text = text if self.vault is None else self.vault.restore(text)
        state.phase = "finished"
        state.finish_reason = reason
        self.checkpoint()
        return self.result()

    def result(self) -> RunResult:
        state = self.state
        self.timings["total"] = self.clock()
        result = RunResult(
            text=state.text,
            observations=tuple(state.observations),
            tool_calls=tuple(state.tool_calls),
            tool_results=tuple(state.tool_results),
            usage=state.usage,
            timings=dict(self.timings),
            trace=self.trace,
            steps=state.step,
            finish_reason=state.finish_reason or "stop",
            messages=tuple(state.messages),
            prompt=state.prompt or FusedPrompt("", ()),
            perception_failures=tuple(state.perception_failures),
            run_id=state.run_id,
            interruptions=tuple(state.pending),
            state=state,
        )
        self.emit(RunFinished(run_id=state.run_id, time=self.clock(), result=result))
        return result

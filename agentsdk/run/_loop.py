"""The agent loop, in phases: prepare -> perceive -> confirm -> fuse -> (think -> act)* -> finish.

- prepare: models the run needs and that are not in memory yet load (announced by
  `ModelLoading` / `ModelLoaded`); the model and the router are resolved, the
  configuration checked (`agentsdk.run._setup`).
- perceive: the router runs every encoder on every part, concurrently; observations under
  their encoder's escalation threshold become perception interruptions.
- confirm: decisions on those are applied (confirmed, corrected, dropped); while any is
  unanswered the run pauses.
- fuse: observations and the user's text become one user message within the budget;
  input guardrails check it. (When PII is redacted, the model is wrapped in a
  `RedactingModel` at prepare: it reads placeholders, everything else real values.)
- think: one model turn (streamed as token deltas when someone listens).
- act: the turn's tool calls pass the approval gate (`agentsdk.run._gate`, which decides);
  the cleared ones run in parallel (`agentsdk.run._act`, which runs); results go back to the
  model as tool messages, errors included.

The run's progress lives in a `RunState`, saved by the agent's checkpoint store after
every step, so a paused or crashed run resumes where it stopped (`resume`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

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
from agentsdk.history import trim_history
from agentsdk.hitl.approvals import Evidence, EvidenceSection, Interruption, policy_fingerprint
from agentsdk.hitl.audit import AuditEntry
from agentsdk.messages import Message, Part, Text, ToolCall, new_call_id
from agentsdk.models.base import AsyncChatModel, ChatModel, FinishReason, ModelResponse
from agentsdk.run._act import Actor, Results
from agentsdk.run._gate import Gate
from agentsdk.run._lease import hold, refuse_if_held, stepped
from agentsdk.run._setup import Tooling, set_up
from agentsdk.run.result import Earlier, RunResult
from agentsdk.run.state import RunState

if TYPE_CHECKING:
    from agentsdk.agent import Agent
    from agentsdk.safety import PIIVault
    from agentsdk.safety.redacting_model import RedactingModel

__all__ = ["execute", "resume"]

READ = frozenset({"speech", "ocr"})
"""Observation kinds that carry what was said or written: the evidence of grounded
replies. (Every observation is redacted before a remote model reads it, whatever its
kind: a new modality's text may hold what was said or written too.)"""


def _video_read(observation: Observation) -> list[str]:
    """What a video's timeline read on its frames (a line per line) and heard said; []
    for any other observation. Frame facts and vision tags are not evidence."""
    if observation.kind != "video":
        return []
    texts: list[str] = []
    for entry in observation.details.get("timeline") or ():
        if isinstance(entry, dict) and entry.get("kind") in READ and entry.get("text"):
            texts.append(str(entry["text"]).replace(" | ", "\n"))
    return texts


async def execute(
    agent: Agent,
    parts: Sequence[Part],
    *,
    emit: Callable[[Event], None] | None,
    thread_id: str | None = None,
    history: Earlier | None = None,
) -> RunResult:
    """A new run on `parts`; it continues `history`, or else the conversation saved for
    `thread_id`."""
    run_id = os.urandom(6).hex()
    state = RunState(
        run_id=run_id,
        thread_id=thread_id or (run_id if agent.checkpointer is not None else None),
        parts=[_describe(p) for p in parts],
        user_text="\n".join(p.text for p in parts if isinstance(p, Text)),
    )
    saved = _saved_conversation(agent, thread_id)
    if saved is not None:
        state.version = saved.version  # the new run goes on from the thread's newest step
    earlier = history if history is not None else saved
    if earlier is not None:
        state.history, state.vault = _conversation(earlier)
    return await _Run(agent, state, emit, parts=parts).go()


def _saved_conversation(agent: Agent, thread_id: str | None) -> RunState | None:
    """The thread's newest state, when the checkpointer has one; it must be finished
    (`ThreadBusyError` when it is not because a run is under way on the thread now)."""
    if thread_id is None or agent.checkpointer is None:
        return None
    saved = agent.checkpointer.load(thread_id)
    if saved is not None and saved.phase != "finished":
        refuse_if_held(agent.checkpointer, thread_id)
        waiting = len(saved.pending)
        why = f"waits for {waiting} decision(s)" if waiting else "stopped before it finished"
        raise ConfigurationError(
            f"thread {thread_id!r} has a run that {why}: resume it first "
            f"(agent.resume({thread_id!r})), or start a new thread"
        )
    return saved


def _conversation(earlier: Earlier) -> tuple[list[Message], dict[str, Any]]:
    """The messages and PII vault of a conversation to continue."""
    if isinstance(earlier, RunResult):
        if earlier.state is None:  # a result without its state: its messages only
            return list(earlier.messages), {}
        earlier = earlier.state
    if isinstance(earlier, RunState):
        if earlier.phase != "finished":
            raise ConfigurationError(
                "cannot continue a run that has not finished: resume it first "
                f"(run {earlier.run_id}, {len(earlier.pending)} decision(s) waiting)"
            )
        return list(earlier.messages), dict(earlier.vault)
    messages = list(earlier)
    for message in messages:
        if not isinstance(message, Message):
            raise ConfigurationError(
                f"history must be a RunResult, a RunState or Message objects, not "
                f"{type(message).__name__} (as_messages() reads dicts and strings)"
            )
    return messages, {}


async def resume(
    agent: Agent, state: RunState, *, emit: Callable[[Event], None] | None
) -> RunResult:
    """Go on from a saved state: decisions are applied, nothing already done is redone.
    The state handed in is left as it is; the result carries the new one."""
    if state.phase == "finished":
        raise ConfigurationError(f"run {state.run_id} has finished; there is nothing to resume")
    return await _Run(agent, state.copy(), emit).go()


_ON_THE_LOOP: dict[type, bool] = {}


def _answers_on_the_loop(model: ChatModel) -> TypeGuard[AsyncChatModel]:
    """Whether the model is an `AsyncChatModel` (checked once per class)."""
    kind = type(model)
    found = _ON_THE_LOOP.get(kind)
    if found is None:
        found = _ON_THE_LOOP[kind] = isinstance(model, AsyncChatModel)
    return found


def _describe(part: Part) -> str:
    if isinstance(part, Text):
        return "text"
    return f"{part.modality} {part.name}" if part.name else part.modality


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
        tooling = Tooling.of(agent)
        self.kit, self.tools, self.schemas = tooling.kit, tooling.tools, tooling.schemas
        self._tooling = tooling
        self._fingerprint: dict[str, str] | None = None
        self.vault: PIIVault | None = None
        self.private: RedactingModel | None = None
        """The model, wrapped, when PII is redacted for it."""

    @property
    def fingerprint(self) -> dict[str, str]:
        """The agent's tools and approval rules, as `RunState.agent` records them
        (computed once per run, and only when a state is saved or paused)."""
        if self._fingerprint is None:
            approvals = self.agent.approvals
            self._fingerprint = {
                name: policy_fingerprint(tool.shared_schema(), approvals.get(name, tool.approval))
                for name, tool in self.tools.items()
            }
        return self._fingerprint

    async def prepare(self) -> None:
        """Load, resolve and check what the run needs (`agentsdk.run._setup`)."""
        setup = await set_up(
            self.agent,
            self._tooling,
            self.state,
            self.parts,
            emit=self.emit,
            clock=self.clock,
            timings=self.timings,
        )
        self.model, self.router = setup.model, setup.router
        self.vault, self.private = setup.vault, setup.private

    @property
    def encoding(self) -> bool:
        """Encoders turn media into observations (perception "encoders" or "both")."""
        return self.agent.perception != "native"

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
            self.state.agent = self.fingerprint  # what a later resume is compared with
            store.save(self.state)
        else:
            stepped(self.state)

    def audit(self, entry: AuditEntry) -> None:
        self.state.audit.append(entry)

    # -- the loop ----------------------------------------------------------------------

    async def go(self) -> RunResult:
        async with hold(self.agent.checkpointer, self.state):
            return await self._go()

    async def _go(self) -> RunResult:
        state = self.state
        self.emit(
            RunStarted(
                run_id=state.run_id,
                time=0.0,
                parts=tuple(state.parts),
                resumed=self.parts is None,
            )
        )
        await self.prepare()
        results = Results(self)
        gate, actor = Gate(self, results), Actor(self, results)
        if self.parts is not None:
            if self.encoding:
                await self.perceive(self.parts)
            self.checkpoint()
        elif state.agent != self.fingerprint:
            gate.agent_changed(self.fingerprint)
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
                response = self.unique_call_ids(await self.think())
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
                await actor.run_cleared(await gate.act())
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
        prompt = fuse(
            state.user_text,
            state.observations,
            budget=self.agent.limits.prompt_tokens,
            count_tokens=self.model.count_tokens,
        )
        earlier = trim_history(
            state.history,
            budget=self.agent.limits.history_tokens,
            count_tokens=self.model.count_tokens,
        )
        if earlier.note is not None:
            prompt = dataclasses.replace(prompt, dropped=(*prompt.dropped, earlier.note))
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
        state.messages = [
            Message.system(self.agent.instructions),
            *earlier.messages,
            Message.user(prompt.text, media=state.media),
        ]
        private = self.private  # input guardrails read the prompt as the model will
        await self.guard("input", prompt.text if private is None else private.redact(prompt.text))

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
        step, messages = state.step, list(state.messages)
        settings = dataclasses.replace(
            self.agent.settings,
            evidence=self.evidence(),
            request=self.request(),
            sources=self.sources(),
        )
        model = self.model
        if self.sink is None and _answers_on_the_loop(model):
            response = await model.agenerate(messages, tools=self.schemas, settings=settings)
        elif self.sink is None:
            response = await asyncio.to_thread(
                model.generate, messages, tools=self.schemas, settings=settings
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

    def unique_call_ids(self, response: ModelResponse) -> ModelResponse:
        """`response` with a fresh id for every call whose id is empty or already taken
        in this conversation (earlier turns or this one), so that what the gate decides
        for a call and what runs are the same call."""
        taken = {c.id for m in self.state.messages for c in m.tool_calls}
        calls: list[ToolCall] = []
        for call in response.tool_calls:
            if not call.id or call.id in taken:
                call = dataclasses.replace(call, id=new_call_id())
            taken.add(call.id)
            calls.append(call)
        return dataclasses.replace(response, tool_calls=tuple(calls))

    def evidence(self) -> tuple[str, ...]:
        """What a grounded reply may take numbers from: the user's text and what was heard
        and read, and the earlier turns' user messages (fused prompts, headers included);
        not this turn's prompt scaffolding, image facts or vision tags."""
        state = self.state
        texts = [state.user_text] + [o.text for o in state.observations if o.kind in READ]
        texts += [t for o in state.observations for t in _video_read(o)]
        texts += [m.content for m in state.history if m.role == "user"]
        return tuple(texts)

    def request(self) -> tuple[str, ...]:
        """What the person asked this turn: their text and what was heard."""
        state = self.state
        texts = [state.user_text] + [o.text for o in state.observations if o.kind == "speech"]
        return tuple(t for t in texts if t.strip())

    def sources(self) -> tuple[str, ...]:
        """What was read this turn (OCR), and what a video showed in writing and said."""
        observations = self.state.observations
        texts = [o.text for o in observations if o.kind == "ocr"]
        texts += [t for o in observations for t in _video_read(o)]
        return tuple(t for t in texts if t.strip())

    def pause(self) -> RunResult:
        state = self.state
        state.finish_reason = "interrupted"
        state.agent = self.fingerprint
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
        private = self.private  # output guardrails read what the model wrote (placeholders)
        await self.guard("output", text if private is None else private.written)
        state.text = text
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

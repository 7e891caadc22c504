"""Where tools run: the calls the gate cleared, in parallel, each at most once.

`Actor.run(cleared)` marks every call running and logs `tool_started`, checkpoints
(a crash from here on is visible on resume), then runs the calls at once. Each runs
through `Tool.run` with one timeout, the tool's own or the agent's
`limits.tool_timeout`; `current_call()` inside the tool is the call. When a call ends,
its result is recorded (`Results.record`) and the state checkpointed again.

`Results` keeps every call's result in the run's state (a model that must not read PII
is shown it redacted by its `RedactingModel`); the gate records the results that need no
running (a rejection, a person's answer) the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agentsdk.events import ToolCallFinished, ToolCallStarted
from agentsdk.hitl.approvals import call_digest
from agentsdk.hitl.audit import AuditEntry
from agentsdk.messages import ToolCall, ToolResult
from agentsdk.tools import running_call

if TYPE_CHECKING:
    from agentsdk.run._loop import _Run

__all__ = ["Actor", "Cleared", "Results"]

Cleared = Mapping[str, tuple[Mapping[str, Any], str]]
"""Calls cleared to run: call id -> (the arguments to run with, a note for the model)."""


class Results:
    """The results of a run's tool calls, kept in its state."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.state = run.state
        self.digests: dict[str, str] = {}
        """`call_digest` of the calls running now, made once when each started."""

    def record(
        self,
        call: ToolCall,
        content: str,
        is_error: bool = False,
        *,
        executed: bool = False,
        seconds: float = 0.0,
    ) -> ToolResult:
        """Keep a call's result (a model that must not read PII is shown it redacted by
        its `RedactingModel`)."""
        state = self.state
        real = ToolResult(call.id, call.name, content, is_error)
        state.turn_results[call.id] = real
        if not executed:  # rejected or answered by a person: listed beside the others
            state.tool_calls.append(call)
        state.tool_results.append(real)
        # in the order the calls were made, whatever order they finished in
        order = {c.id: i for i, c in enumerate(state.tool_calls)}
        state.tool_results.sort(key=lambda r: order.get(r.call_id, len(order)))
        if executed:
            self.run.audit(
                AuditEntry(
                    action="tool_executed",
                    actor="agent",
                    what={
                        "call": call.to_dict(),
                        "digest": self.digests.pop(call.id, None) or call_digest(call),
                        "result": content,
                        "is_error": is_error,
                        "seconds": seconds,
                    },
                    run_id=state.run_id,
                    thread_id=state.thread_id,
                )
            )
        return real


class Actor:
    """Runs cleared calls."""

    def __init__(self, run: _Run, results: Results) -> None:
        self.run = run
        self.state = run.state
        self.results = results

    async def run_cleared(self, cleared: Cleared) -> None:
        """Run every cleared call of the turn at once; each is started and finished with
        a checkpoint."""
        if not cleared:
            return
        state = self.state
        calls = [c for c in state.turn_calls if c.id in cleared]
        executed = [ToolCall(c.name, dict(cleared[c.id][0]), c.id) for c in calls]
        started = {c.id for c in state.tool_calls}  # a rerun after a crash is listed once
        state.tool_calls += [c for c in executed if c.id not in started]
        state.running = [c.id for c in executed]
        digests = self.results.digests
        for call in executed:  # logged before it runs: a crash mid-call leaves a trace
            digests[call.id] = call_digest(call)
            self.run.audit(
                AuditEntry(
                    action="tool_started",
                    actor="agent",
                    what={"call": call.to_dict(), "digest": digests[call.id]},
                    run_id=state.run_id,
                    thread_id=state.thread_id,
                )
            )
        self.run.checkpoint()  # before anything runs: a crash now is visible on resume
        if len(executed) == 1:  # the common case, without a task per call
            await self._one(executed[0], cleared[executed[0].id][1])
        else:
            await asyncio.gather(*(self._one(c, cleared[c.id][1]) for c in executed))

    async def _one(self, call: ToolCall, note: str) -> None:
        run, state = self.run, self.state
        step = state.step
        run.emit(ToolCallStarted(run_id=state.run_id, time=run.clock(), call=call, step=step))
        began = time.perf_counter()
        tool = run.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(run.tools)) or "none"
            content, is_error = f"Error: unknown tool {call.name!r}; available tools: {known}", True
        else:
            with running_call(call):  # current_call() inside the tool
                outcome = await tool.run(call.arguments, timeout=run.agent.limits.tool_timeout)
            content, is_error = outcome.content, outcome.is_error
        seconds = time.perf_counter() - began
        result = self.results.record(call, note + content, is_error, executed=True, seconds=seconds)
        state.running.remove(call.id)
        run.checkpoint()
        run.emit(
            ToolCallFinished(
                run_id=state.run_id, time=run.clock(), result=result, seconds=seconds, step=step
            )
        )

"""One turn of `agentsdk chat`, shown as it happens.

`TurnView` turns a run's events into what the chat shows: the answer piece by piece as
the model writes it (`TokenDelta`), each tool call with its arguments and result when it
returns, models that load, encoders that fail; and, when the run ends (`RunFinished`),
the whole answer (where the pieces differ from it) and what no event showed (tool calls
a person rejected or answered).

`stream_turn` runs a new turn through `Agent.stream` on the chat's event loop. The
agent's approver (e.g. `ConsoleApprover`) is asked by the run in the middle of it, and
must not speak before the pieces written so far are on the screen: `InOrder` wraps it so
that the events already emitted are shown, and the answer being written is ended, before
the person is asked. A paused run has no stream to resume (`agent.resume` returns the
result only): `replay` shows a result from its trace the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import Sequence

from agentsdk.agent import Agent
from agentsdk.cli.screen import Screen
from agentsdk.errors import ConfigurationError
from agentsdk.events import (
    EncoderFailed,
    Event,
    ModelLoading,
    RunFinished,
    TokenDelta,
    ToolCallFinished,
    ToolCallStarted,
)
from agentsdk.hitl.approvals import Approver, Decision, Interruption
from agentsdk.messages import Part, ToolCall, ToolResult
from agentsdk.run import Earlier, RunResult

__all__ = ["InOrder", "TurnView", "replay", "stream_turn", "tool_line"]

QUIET_ROUNDS = 3
"""Loop rounds without a new event after which the events emitted so far are shown."""
MAX_ROUNDS = 100


def tool_line(call: ToolCall | None, result: ToolResult) -> str:
    """`  [tool NAME({ARGUMENTS}) -> RESULT]`."""
    arguments = dict(call.arguments) if call is not None else {}
    return f"  [tool {result.name}({arguments}) -> {result.content}]"


class TurnView:
    """Shows the events of a chat's runs on a screen, as they come."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.shown = 0
        """Events shown so far (`InOrder` waits for it to settle)."""
        self.result: RunResult | None = None
        """The result of the run that ended last."""
        self._calls: dict[str, ToolCall] = {}
        self._results: set[str] = set()
        """Call ids whose result is on the screen (a resumed run lists earlier ones)."""
        self._writing = False

    def end_answer(self) -> None:
        """End the answer being written, keeping what its pieces showed."""
        if self._writing:
            self._writing = False
            self.screen.done(None)

    def show(self, event: Event) -> None:
        self.shown += 1
        if isinstance(event, TokenDelta):
            self._writing = True
            self.screen.piece(event.text)
        elif isinstance(event, ToolCallStarted):
            self.end_answer()
            self._calls[event.call.id] = event.call
        elif isinstance(event, ToolCallFinished):
            self._tool(event.result)
        elif isinstance(event, ModelLoading):
            self.screen.say(f"(loading the {event.role} model, {event.index} of {event.count})")
        elif isinstance(event, EncoderFailed):
            self.screen.say(
                f"(the {event.encoder} encoder failed on part {event.part}: {event.error})"
            )
        elif isinstance(event, RunFinished):
            self._finished(event.result)

    def _tool(self, result: ToolResult) -> None:
        self.end_answer()
        self._results.add(result.call_id)
        self.screen.say(tool_line(self._calls.get(result.call_id), result))

    def _finished(self, result: RunResult) -> None:
        self.result = result
        self._calls.update((call.id, call) for call in result.tool_calls)
        for outcome in result.tool_results:  # a person's rejection or answer: no event
            if outcome.call_id not in self._results:
                self._tool(outcome)
        self._writing = False
        self.screen.done(None if result.paused else result.text)


class InOrder:
    """An approver asked only once the events emitted before it are on the screen, with
    the answer being written ended (it speaks to the same person)."""

    def __init__(self, approver: Approver, view: TurnView) -> None:
        self.approver, self.view = approver, view

    async def __call__(self, interruption: Interruption) -> Decision | None:
        await settle(self.view)
        self.view.end_answer()
        answer = self.approver(interruption)
        if inspect.isawaitable(answer):
            return await answer
        return answer


async def settle(view: TurnView) -> None:
    """Yield to the loop until events stop arriving: an event emitted reaches the view
    within two rounds (the run's queue, then the stream's consumer)."""
    quiet, seen = 0, view.shown
    for _ in range(MAX_ROUNDS):
        await asyncio.sleep(0)
        quiet, seen = (quiet + 1, seen) if view.shown == seen else (0, view.shown)
        if quiet >= QUIET_ROUNDS:
            return


def stream_turn(
    runner: asyncio.Runner,
    agent: Agent,
    inputs: Sequence[str | Part],
    view: TurnView,
    *,
    thread_id: str | None = None,
    history: Earlier | None = None,
) -> RunResult:
    """Run a new turn on `runner`'s loop, showing its events on `view` as they come."""
    if agent.approver is not None:
        agent = dataclasses.replace(agent, approver=InOrder(agent.approver, view))

    async def go() -> RunResult:
        view.result = None
        async for event in agent.stream(list(inputs), thread_id=thread_id, history=history):
            view.show(event)
        if view.result is None:
            raise ConfigurationError("the run ended without a result")
        return view.result

    return runner.run(go())


def replay(result: RunResult, view: TurnView) -> RunResult:
    """Show a result that was not streamed (a resumed run) from its trace."""
    for event in result.trace:
        view.show(event)
    if view.result is not result:  # a trace without its RunFinished
        view.show(RunFinished(run_id=result.run_id, time=0.0, result=result))
    return result

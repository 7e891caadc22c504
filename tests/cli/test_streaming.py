"""A chat turn shown as it happens: pieces, tool calls, approvals in order, replays."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator, Sequence

from agentsdk import (
    Agent,
    ConsoleApprover,
    FunctionModel,
    Message,
    ModelResponse,
    ScriptedModel,
    ToolCall,
    tool,
)
from agentsdk.cli.streaming import TurnView, replay, stream_turn
from agentsdk.models.base import GenerationSettings, ModelStream, ToolSchema
from agentsdk.router import Router


@tool(approval="always")
def pay(amount: float) -> str:
    """Pay an amount.

    Args:
        amount: How much.
    """
    return f"paid {amount}"


class Log:
    """A screen that notes what it is asked to show, in order, in one list."""

    def __init__(self, log: list[tuple[str, str | None]] | None = None) -> None:
        self.log: list[tuple[str, str | None]] = [] if log is None else log
        self.shown = threading.Event()

    def say(self, line: str) -> None:
        self.log.append(("say", line))

    def piece(self, text: str) -> None:
        self.log.append(("piece", text))
        self.shown.set()

    def done(self, text: str | None) -> None:
        self.log.append(("done", text))


class Paced(FunctionModel):
    """Streams its answer word by word, each word only once the last is on the screen
    (or after a timeout, noted in `waits`): a chat that shows pieces late fails here."""

    def __init__(self, reply: object, screen: Log) -> None:
        super().__init__(reply)  # type: ignore[arg-type]
        self.screen = screen
        self.waits: list[bool] = []

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        response = self.generate(messages, tools=tools, settings=settings)

        def pieces() -> Generator[str, None, ModelResponse]:
            for word in response.text.split(" "):
                self.screen.shown.clear()
                yield word + " "
                self.waits.append(self.screen.shown.wait(5))
            return response

        return ModelStream(pieces())


def test_each_piece_is_on_the_screen_before_the_model_writes_the_next() -> None:
    screen = Log()
    model = Paced(lambda messages: "one two three four", screen)
    view = TurnView(screen)
    with asyncio.Runner() as runner:
        result = stream_turn(runner, Agent(model=model, router=Router()), ["count"], view)
    assert model.waits == [True, True, True, True]
    assert screen.log == [
        ("piece", "one "),
        ("piece", "two "),
        ("piece", "three "),
        ("piece", "four "),
        ("done", "one two three four"),
    ]
    assert view.result is result and result.text == "one two three four"


def _pay_then_answer(messages: list[Message]) -> ModelResponse | str:
    if messages[-1].role == "tool":
        return "I paid it."
    return ModelResponse("Let me pay that.", (ToolCall("pay", {"amount": 3}),))


def test_an_approval_is_asked_after_what_was_written_before_it() -> None:
    log: list[tuple[str, str | None]] = []
    screen = Log(log)
    answers = ["a"]
    approver = ConsoleApprover(ask=lambda _: answers.pop(0), say=lambda s: log.append(("ask", s)))
    agent = Agent(model=FunctionModel(_pay_then_answer), tools=[pay], approver=approver)
    with asyncio.Runner() as runner:
        result = stream_turn(runner, agent, ["pay 3"], TurnView(screen))
    kinds = [kind for kind, _ in log]
    asked = kinds.index("ask")
    assert set(kinds[: asked - 1]) == {"piece"}
    assert "".join(str(text) for _, text in log[: asked - 1]) == "Let me pay that."
    assert log[asked - 1] == ("done", None)  # the pieces stay as they were shown
    assert log[asked + 1] == ("say", "  [tool pay({'amount': 3}) -> paid 3.0]")
    assert log[-1] == ("done", "I paid it.") and result.text == "I paid it."


def test_a_rejected_call_has_no_event_and_is_shown_when_the_run_ends() -> None:
    log: list[tuple[str, str | None]] = []
    answers = ["r", "not today"]
    approver = ConsoleApprover(ask=lambda _: answers.pop(0), say=lambda s: None)
    model = ScriptedModel([ToolCall("pay", {"amount": 3}), "I did not pay."])
    agent = Agent(model=model, tools=[pay], approver=approver)
    with asyncio.Runner() as runner:
        stream_turn(runner, agent, ["pay 3"], TurnView(Log(log)))
    [tool_line] = [line for kind, line in log if kind == "say"]
    assert tool_line is not None and tool_line.startswith("  [tool pay({'amount': 3}) -> ")
    assert "not today" in tool_line
    assert log[-1] == ("done", "I did not pay.")


def test_a_resumed_run_is_replayed_from_its_trace_without_repeating_calls() -> None:
    model = ScriptedModel([ToolCall("pay", {"amount": 1}), ToolCall("pay", {"amount": 2}), "ok"])
    agent = Agent(
        model=model, tools=[pay], approvals={"pay": lambda arguments: arguments["amount"] > 1}
    )
    log: list[tuple[str, str | None]] = []
    view = TurnView(Log(log))
    with asyncio.Runner() as runner:
        paused = stream_turn(runner, agent, ["pay twice"], view)
    assert paused.paused and log[-1] == ("done", None)
    assert log.count(("say", "  [tool pay({'amount': 1}) -> paid 1.0]")) == 1
    assert paused.state is not None
    resumed = agent.resume(paused.state.approve(paused.interruptions[0]))
    assert replay(resumed, view) is resumed and view.result is resumed
    assert log.count(("say", "  [tool pay({'amount': 1}) -> paid 1.0]")) == 1
    assert ("say", "  [tool pay({'amount': 2}) -> paid 2.0]") in log
    assert log[-1] == ("done", "ok")


def test_models_that_load_and_encoders_that_fail_are_said() -> None:
    from agentsdk.events import EncoderFailed, ModelLoading

    log: list[tuple[str, str | None]] = []
    view = TurnView(Log(log))
    view.show(ModelLoading(run_id="r", time=0.0, role="speech", index=1, count=2))
    view.show(EncoderFailed(run_id="r", time=0.1, encoder="ocr", part=1, error="boom"))
    assert log == [
        ("say", "(loading the speech model, 1 of 2)"),
        ("say", "(the ocr encoder failed on part 1: boom)"),
    ]
    assert view.shown == 2

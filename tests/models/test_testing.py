"""ScriptedModel and FunctionModel, the fakes unit tests plug in."""

from __future__ import annotations

import pytest

from agentsdk import (
    ChatModel,
    ConfigurationError,
    FunctionModel,
    GenerationError,
    GenerationSettings,
    Message,
    ModelResponse,
    ScriptedModel,
    ToolCall,
    Usage,
)
from agentsdk.models.testing import ModelCall


def test_scripted_model_replies_in_order_and_records_calls() -> None:
    call = ToolCall("add", {"a": 1, "b": 2})
    model = ScriptedModel([call, "The sum is 3."])
    first = model.generate([Message.user("add one and two")], tools=[{"type": "function"}])
    assert first.tool_calls == (call,)
    assert first.finish_reason == "tool_calls"
    assert first.usage == Usage(4, 1)  # words in, one call out
    second = model.generate([Message.user("add one and two")])
    assert (second.text, second.finish_reason) == ("The sum is 3.", "stop")
    assert model.remaining == 0
    assert [len(c.tools) for c in model.calls] == [1, 0]
    assert model.calls[0].settings == GenerationSettings()


def test_scripted_model_says_when_it_runs_out() -> None:
    model = ScriptedModel(["only one"])
    model.generate([Message.user("a")])
    with pytest.raises(GenerationError, match="ran out of replies: the script had 1"):
        model.generate([Message.user("b")])


def test_scripted_model_streams_the_same_text() -> None:
    text = "Hello there,  friend.\nBye"
    stream = ScriptedModel([text]).stream([Message.user("hi")])
    deltas = list(stream)
    assert len(deltas) > 1
    assert "".join(deltas) == text == stream.response.text


def test_full_responses_and_lists_of_calls_pass_through() -> None:
    response = ModelResponse("x", usage=Usage(9, 9), finish_reason="length")
    calls = [ToolCall("a"), ToolCall("b")]
    model = ScriptedModel([response, calls])
    assert model.generate([Message.user("q")]) is response
    assert len(model.generate([Message.user("q")]).tool_calls) == 2


def test_bad_script_entries_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        ScriptedModel([[]]).generate([Message.user("q")])


def test_function_model_sees_the_conversation() -> None:
    def shout(messages: list[Message], call: ModelCall) -> str:
        return messages[-1].content.upper() + ("!" * len(call.tools))

    model = FunctionModel(shout)
    assert model.generate([Message.user("hey")], tools=[{}, {}]).text == "HEY!!"
    assert model.calls[0].messages == (Message.user("hey"),)


def test_function_model_takes_a_function_of_the_messages_alone() -> None:
    # issue 13, item 17: fn(messages) works as well as fn(messages, call)
    model = FunctionModel(lambda messages: messages[-1].content.upper())
    assert model.generate([Message.user("hey")]).text == "HEY"
    assert FunctionModel(lambda *args: str(len(args))).generate([Message.user("x")]).text == "2"
    with pytest.raises(ConfigurationError, match="function of the messages"):
        FunctionModel("not a function")  # type: ignore[arg-type]


def test_fakes_satisfy_the_protocol() -> None:
    assert isinstance(ScriptedModel([]), ChatModel)
    assert isinstance(FunctionModel(lambda m, c: ""), ChatModel)


def test_test_models_answer_on_the_event_loop_and_take_async_functions() -> None:
    import asyncio
    import threading

    from agentsdk import Agent, ToolCall, tool
    from agentsdk.models.base import AsyncChatModel

    threads: list[str] = []

    async def decide(messages: list[Message]) -> str | ToolCall:
        threads.append(threading.current_thread().name)
        await asyncio.sleep(0)
        if any(m.role == "tool" for m in messages):
            return "it is " + messages[-1].content
        return ToolCall("add", {"a": 1, "b": 2})

    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    model = FunctionModel(decide)
    assert isinstance(model, AsyncChatModel) and isinstance(ScriptedModel([]), AsyncChatModel)
    agent = Agent(model=model, tools=[add])
    assert agent.run("1 + 2?").text == "it is 3"
    assert asyncio.run(agent.arun("1 + 2?")).text == "it is 3"
    assert set(threads) == {threading.main_thread().name}  # no hand-off to a worker thread
    # called from sync code the async function is run to its end; inside a loop it is refused
    assert FunctionModel(decide).generate([Message.user("q")]).tool_calls[0].name == "add"

    async def inside() -> None:
        with pytest.raises(ConfigurationError, match="agenerate"):
            FunctionModel(decide).generate([Message.user("q")])

    asyncio.run(inside())

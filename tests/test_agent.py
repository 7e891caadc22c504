"""Agent configuration and the public run entry points."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from agentsdk import Audio, ConfigurationError, Image, Message, ScriptedModel, Text
from agentsdk.agent import DEFAULT_INSTRUCTIONS, Agent, Limits
from agentsdk.run import as_parts


def test_limits_are_validated() -> None:
    for bad in ({"max_steps": 0}, {"prompt_tokens": 10}, {"tool_timeout": 0}):
        with pytest.raises(ConfigurationError):
            Limits(**bad)  # type: ignore[arg-type]


def test_inputs_become_parts() -> None:
    image = Image(np.zeros((2, 2, 3), np.uint8))
    assert as_parts("hi") == [Text("hi")]
    assert as_parts(["a", image]) == [Text("a"), image]
    with pytest.raises(ConfigurationError, match=r"Image\('photo.jpg'\)"):
        as_parts([b"raw bytes"])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="at least one"):
        as_parts([])


def test_a_user_message_or_its_dict_is_an_input() -> None:
    # issue 13, item 14: a Message was not iterable, a dict became "role\ncontent"
    image = Image(np.zeros((2, 2, 3), np.uint8))
    assert as_parts(Message.user("hi")) == [Text("hi")]
    assert as_parts(Message.user("look", media=[image])) == [Text("look"), image]
    assert as_parts({"role": "user", "content": "hi"}) == [Text("hi")]
    parts = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    assert as_parts({"role": "user", "content": parts}) == [Text("a\nb")]
    result = Agent(model=ScriptedModel(["hello"])).run({"role": "user", "content": "hi"})
    assert result.messages[-2].content == "hi" and result.text == "hello"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (Message.assistant("earlier"), "history="),
        ({"role": "system", "content": "x"}, "OpenAI-style user message"),
        ({"text": "hi"}, "OpenAI-style user message"),
        ({"role": "user", "content": [{"type": "image_url"}]}, "only text parts"),
        ({"role": "user", "content": 5}, "string or a list"),
        (Message.user(""), "at least one"),
    ],
)
def test_other_messages_are_refused_clearly(given: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        as_parts(given)


def test_media_without_an_encoder_is_a_clear_error() -> None:
    agent = Agent(model=ScriptedModel(["x"]))
    with pytest.raises(ConfigurationError, match="no encoder reads image parts"):
        agent.run([Image(np.zeros((2, 2, 3), np.uint8))])
    with pytest.raises(ConfigurationError, match="no encoder reads audio parts"):
        agent.run([Audio(np.full(160, 0.2, np.float32), sample_rate=16_000)])


def test_instructions_are_the_system_message() -> None:
    model = ScriptedModel(["a", "b"])
    Agent(model=model).run("q")
    Agent(model=model, instructions="Be terse.").run("q")
    assert model.calls[0].messages[0].content == DEFAULT_INSTRUCTIONS
    assert model.calls[1].messages[0].content == "Be terse."


def test_run_inside_an_event_loop_points_to_arun() -> None:
    async def main() -> None:
        Agent(model=ScriptedModel(["x"])).run("q")

    with pytest.raises(ConfigurationError, match="arun"):
        asyncio.run(main())


def test_one_agent_serves_many_runs() -> None:
    agent = Agent(model=ScriptedModel(["one", "two"]))
    assert [agent.run("q").text, agent.run("q").text] == ["one", "two"]


def test_errors_from_a_blocking_run_are_not_chained_to_the_event_loop_check() -> None:
    # issue 13, item 15: tracebacks showed "RuntimeError: no running event loop" first
    from agentsdk.models.testing import FunctionModel

    def broken(messages: list[Message]) -> str:
        raise ValueError("the model broke")

    with pytest.raises(Exception, match="the model broke") as caught:
        Agent(model=FunctionModel(broken)).run("hi")
    chain = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert not any("no running event loop" in str(e) for e in chain)


def test_a_result_reads_as_one_line() -> None:
    result = Agent(model=ScriptedModel(["x" * 100])).run("q")
    shown = repr(result)
    assert shown.startswith("RunResult(text='xxx") and "finish_reason='stop'" in shown
    assert "\n" not in shown and len(shown) < 200


def test_instructions_must_be_a_string() -> None:
    with pytest.raises(ConfigurationError, match="instructions must be a string"):
        Agent(model=ScriptedModel([]), instructions=None)  # type: ignore[arg-type]
    assert Agent(model=ScriptedModel(["ok"]), instructions="").run("hi").text == "ok"

"""Messages, tool calls and their OpenAI-format round trips."""

from __future__ import annotations

from typing import Any

import pytest

from agentsdk import ConfigurationError, Message, ToolCall, ToolResult
from agentsdk.messages import as_messages


def test_assistant_message_with_tool_calls_round_trips() -> None:
    call = ToolCall("add", {"a": 1, "b": 2})
    message = Message.assistant("", [call])
    data = message.to_dict()
    assert data["tool_calls"][0] == {
        "id": call.id,
        "type": "function",
        "function": {"name": "add", "arguments": {"a": 1, "b": 2}},
    }
    assert Message.from_dict(data) == message


def test_tool_message_answers_a_call() -> None:
    result = ToolResult(call_id="call_1", name="add", content="3")
    message = Message.tool(result)
    assert message.to_dict() == {"role": "tool", "content": "3", "tool_call_id": "call_1"}
    with pytest.raises(ConfigurationError, match="tool_call_id"):
        Message("tool", "3")


def test_tool_call_ids_are_unique() -> None:
    assert ToolCall("a").id != ToolCall("a").id


def test_tool_call_from_dict_accepts_json_string_arguments() -> None:
    call = ToolCall.from_dict({"id": "c1", "function": {"name": "f", "arguments": '{"x": 1}'}})
    assert (call.id, call.name, call.arguments) == ("c1", "f", {"x": 1})
    assert ToolCall.from_dict({"function": {"name": "f", "arguments": ""}}).arguments == {}


@pytest.mark.parametrize("arguments", ['{"x": ', "[1, 2]"])
def test_malformed_tool_call_arguments_make_a_malformed_call(arguments: str) -> None:
    call = ToolCall.from_dict({"function": {"name": "f", "arguments": arguments}})
    assert call.malformed is not None and "arguments" in call.malformed


def test_bad_roles_and_content_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="role"):
        Message("robot", "hi")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="content"):
        Message("user", None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="role"):
        Message.from_dict({"content": "hi"})


def test_as_messages_normalises_user_input() -> None:
    assert as_messages("hi") == [Message.user("hi")]
    assert as_messages(Message.system("s")) == [Message.system("s")]
    assert as_messages({"role": "user", "content": "x"}) == [Message.user("x")]
    assert as_messages([Message.system("s"), {"role": "user", "content": "x"}, "y"]) == [
        Message.system("s"),
        Message.user("x"),
        Message.user("y"),
    ]
    with pytest.raises(ConfigurationError, match="empty"):
        as_messages([])
    with pytest.raises(ConfigurationError, match="int"):
        as_messages([3])


def test_a_malformed_call_keeps_its_reason_through_json() -> None:
    call = ToolCall("pay", {}, "c1", malformed="its arguments are not valid JSON")
    assert ToolCall.from_dict(call.to_dict()) == call
    assert "malformed" not in ToolCall("pay", {}).to_dict()


def test_user_messages_carry_media_through_json() -> None:
    import numpy as np

    from agentsdk import Audio, Image

    picture = Image(np.full((6, 8, 3), 77, dtype=np.uint8), name="grey")
    clip = Audio(np.full(1600, 0.25, dtype=np.float32), sample_rate=16_000, name="hum")
    message = Message.user("look and listen", media=[picture, clip])
    back = Message.from_dict(message.to_dict())
    assert back.content == "look and listen"
    seen, heard = back.media
    assert isinstance(seen, Image) and seen.name == "grey" and seen.to_array().mean() == 77
    assert isinstance(heard, Audio) and heard.name == "hum" and heard.duration == 0.1
    with pytest.raises(ConfigurationError, match="only user messages"):
        Message("assistant", "x", media=(picture,))
    with pytest.raises(ConfigurationError, match="Image or Audio"):
        Message.user("x", media=["picture.png"])  # type: ignore[list-item]


def test_tool_call_arguments_as_a_json_string_are_parsed() -> None:
    call = ToolCall("note", '{"text": "hi"}')  # type: ignore[arg-type]
    assert call.arguments == {"text": "hi"} and call.malformed is None
    assert ToolCall("note", "  ").arguments == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ([1, 2], "list, not a JSON object"),
        (None, "NoneType, not a JSON object"),
        ("[1, 2]", "list, not a JSON object"),
        ("{not json", "not valid JSON"),
        ({"x": object()}, "cannot be written as JSON"),
        ({1: "x"}, "names are not all strings"),
        ({"x": "y" * 1_000_001}, "over 1,000,000 characters"),
    ],
)
def test_arguments_that_are_no_json_object_make_the_call_malformed(
    arguments: Any, why: str
) -> None:
    call = ToolCall("note", arguments)
    assert call.malformed is not None and why in call.malformed
    assert call.arguments == {}
    assert ToolCall.from_dict(call.to_dict()).malformed == call.malformed


def test_deeply_nested_arguments_are_refused_without_recursing() -> None:
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    call = ToolCall("note", {"x": deep})
    assert call.malformed is not None and "nested more than 32" in call.malformed
    text = "[" * 5000 + "]" * 5000
    assert ToolCall("note", '{"x": ' + text + "}").malformed is not None  # type: ignore[arg-type]

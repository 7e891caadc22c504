"""Tools, a request and helpers shared by the tests of `agentsdk.models.toolcalls`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonschema
import pytest

from agentsdk import Message
from agentsdk.models.toolcalls import prompt
from agentsdk.models.toolcalls.prompt import ParsedReply
from agentsdk.models.toolcalls.schema import ToolSpec


def tool(name: str, parameters: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


WEATHER = tool(
    "get_weather",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
    "Weather in a city.",
)
ECHO = tool(
    "echo",
    {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    "Say something back.",
)
ADD = tool(
    "add",
    {
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
    "Add two numbers.",
)
NOTE = tool(
    "save_note",
    {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 12},
            "tags": {"type": "array", "items": {"type": "string"}},
            "pinned": {"type": "boolean"},
            "meta": {
                "type": "object",
                "properties": {"priority": {"type": "integer"}, "color": {"type": "string"}},
                "required": ["priority"],
            },
        },
        "required": ["title", "tags", "pinned", "meta"],
    },
    "Save a note.",
)
PING = tool("ping", {"type": "object", "properties": {}})
TOOL_SETS = {
    "weather": [WEATHER],
    "weather+add": [WEATHER, ADD],
    "nested": [NOTE, PING],
}
QUESTION = [Message.user("What is the weather in Paris?")]


def assert_valid(response: Any, tools: Sequence[dict[str, Any]]) -> None:
    """A tool call whose arguments validate, or an answer that parsed."""
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    if response.tool_calls:
        assert response.finish_reason == "tool_calls"
        (call,) = response.tool_calls
        jsonschema.validate(dict(call.arguments), schemas[call.name])
    else:
        assert response.finish_reason in ("stop", "length")
        assert isinstance(response.text, str)


def record_parses(monkeypatch: pytest.MonkeyPatch) -> list[ParsedReply | None]:
    """Spy on parse_reply: one entry per attempt (None: the attempt did not parse)."""
    seen: list[ParsedReply | None] = []
    real = prompt.parse_reply

    def spy(text: str, specs: Sequence[ToolSpec]) -> ParsedReply | None:
        parsed = real(text, specs)
        seen.append(parsed)
        return parsed

    monkeypatch.setattr(prompt, "parse_reply", spy)
    return seen


class FixedRanker:
    def __init__(self, scores: dict[str, float], threshold: float | None = 0.5) -> None:
        self._scores = scores
        self.threshold = threshold
        self.requests: list[str] = []

    def scores(self, request: str, specs: Sequence[ToolSpec]) -> list[float]:
        self.requests.append(request)
        return [self._scores.get(s.name, 0.0) for s in specs]

"""The prompt of constrained replies and reading them back: the tool section, earlier
calls in the reply format, parsing, and a streamed answer unescaped as it grows."""

from __future__ import annotations

import itertools
import json

from agentsdk import Message
from agentsdk.messages import ToolCall, ToolResult
from agentsdk.models.toolcalls import prompt as c
from agentsdk.models.toolcalls.schema import tool_specs
from tests.models.toolcalls.samples import ADD, PING, WEATHER, tool


def test_tool_prompt_lists_signatures_descriptions_and_the_format() -> None:
    prompt = c.tool_prompt(tool_specs([WEATHER, ADD, PING]))
    lines = prompt.splitlines()
    assert lines[0] == "You can use these tools:"
    assert lines[1] == (
        '- get_weather(city: string, unit?: "celsius" | "fahrenheit"): Weather in a city.'
    )
    assert lines[2] == "- add(a: number, b: integer): Add two numbers."
    assert lines[3] == "- ping()"
    assert '{"tool": "<name>", "arguments": {...}}' in lines[4]
    assert '{"answer": "<your answer>"}' in lines[4]
    assert len(prompt) < 400  # short: 135M parameters
    assert "answer" not in c.tool_prompt(tool_specs([PING]), answer=False)
    assert (
        c.tool_prompt(())
        == 'Reply with JSON only. To answer without a tool: {"answer": "<your answer>"}.'
    )
    query = {"type": "string", "description": " What\n to find."}
    described = tool("search", {"type": "object", "properties": {"query": query}}, "Search.")
    assert c.tool_prompt(tool_specs([described])).splitlines()[1:3] == [
        "- search(query?: string): Search.",
        "  query: What to find.",
    ]


def test_prepare_conversation_adds_the_section_and_writes_calls_as_json() -> None:
    specs = tool_specs([ADD])
    call = ToolCall("add", {"a": 1, "b": 2}, id="call_1")
    messages = [
        Message.user("1+2?"),
        Message.assistant("", [call]),
        Message.tool(ToolResult("call_1", "add", "3")),
    ]
    conversation = c.prepare_conversation(messages, specs)
    assert conversation[0] == {"role": "system", "content": c.tool_prompt(specs)}
    assert json.loads(conversation[2]["content"]) == {"tool": "add", "arguments": {"a": 1, "b": 2}}
    assert conversation[3] == {"role": "tool", "content": "3"}
    with_system = c.prepare_conversation([Message.system("Be brief."), *messages], specs)
    assert with_system[0]["content"].startswith("Be brief.\n\nYou can use these tools:")
    assert len(with_system) == 4


def test_parse_reply_reads_answers_and_calls_and_refuses_the_rest() -> None:
    specs = tool_specs([WEATHER])
    assert c.parse_reply('{"answer": "Hi\\u0007 there"}', specs) == c.ParsedReply("Hi\x07 there")
    assert c.parse_reply('{"answer": "raw \x01 control"}', specs) == c.ParsedReply(
        "raw \x01 control"
    )
    parsed = c.parse_reply('{"tool": "get_weather", "arguments": {"city": "Oslo"}}', specs)
    assert parsed is not None and parsed.call is not None
    assert (parsed.call.name, dict(parsed.call.arguments)) == ("get_weather", {"city": "Oslo"})
    for bad in (
        '{"answer": "cut sho',
        '{"tool": "rm", "arguments": {}}',
        '{"tool": "get_weather", "arguments": 3}',
        '{"answer": "a", "extra": 1}',
        '["answer"]',
        "",
    ):
        assert c.parse_reply(bad, specs) is None


def test_partial_answers_unescape_as_the_json_grows() -> None:
    from agentsdk.models.toolcalls.prompt import partial_answer

    whole = json.dumps({"answer": 'line one\nsaid "hi" \\ caf\u00e9 \U0001f600'})
    seen = [partial_answer(whole[:k]) for k in range(len(whole) + 1)]
    assert seen[-1] == json.loads(whole)["answer"]
    texts = [t for t in seen if t is not None]
    assert all(b.startswith(a) for a, b in itertools.pairwise(texts))
    assert partial_answer('{"tool": "add"') is None and partial_answer("{") is None

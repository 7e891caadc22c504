"""Grounded decoding: only the evidence's numbers, results stated; even a random model."""

from __future__ import annotations

import json
import re

import pytest

from agentsdk import GenerationSettings, LocalModel, Message, ToolCall, ToolResult
from agentsdk.models.grounding import (
    evidence_numbers,
    ground_reply,
    ground_schema,
    grounded_pattern,
    result_numbers,
    stating_pattern,
)

CALC = {
    "type": "function",
    "function": {
        "name": "calc",
        "description": "Arithmetic, for example 7 * 6.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
    },
}
SPLIT = {
    "type": "function",
    "function": {
        "name": "split",
        "description": "Split an amount between people.",
        "parameters": {
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "people": {"type": "integer"},
                "currency": {"type": "string", "enum": ["EUR", "USD"]},
            },
            "required": ["amount", "people"],
        },
    },
}


def test_evidence_is_the_users_messages_and_tool_results_not_the_instructions() -> None:
    messages = [
        Message.system("Example: 99.99 + 1"),
        Message.user("Bread 4.10, milk 1,234.50 and 12,50; we are 3"),
        Message.assistant("", [ToolCall("calc", {"expression": "4.10 + 12.50"}, "c1")]),
        Message.tool(ToolResult("c1", "calc", "16.6")),
    ]
    assert evidence_numbers(messages) == [
        "4.10",
        "1,234.50",
        "1234.50",
        "12,50",
        "12.50",
        "3",
        "16.6",
    ]
    assert result_numbers(messages) == ["16.6"]
    assert evidence_numbers([Message.user("Split it between Three people")]) == ["3"]
    assert result_numbers(messages[:2]) == []
    failed = [*messages[:3], Message.tool(ToolResult("c1", "calc", "Error: division by zero"))]
    assert result_numbers(failed) == []


def test_patterns_allow_the_evidence_and_nothing_else() -> None:
    pattern = re.compile(grounded_pattern(["12.50", "3"]))
    assert pattern.match("It is 12.50, for 3 people.")
    assert not pattern.match("It is 12.5")
    assert not pattern.match("It is 99")
    assert not pattern.match("It is 3.12.50")  # no number glued from two
    assert pattern.match("Items: 3, 12.50.")
    assert re.compile(grounded_pattern([])).match("no digits at all")
    stating = re.compile(stating_pattern(["16.6"]))
    assert stating.match("The total is 16.6.") and not stating.match("The total is 4.10")
    assert not stating.match("No number.")


def test_schemas_ground_plain_strings_and_numbers_only() -> None:
    parameters = SPLIT["function"]["parameters"]  # type: ignore[index]
    grounded = ground_schema(parameters, ["12.50", "3"])
    properties = grounded["properties"]
    assert properties["amount"]["enum"] == [12.5, 3]
    assert properties["people"]["enum"] == [3]  # integers only
    assert properties["currency"] == {"type": "string", "enum": ["EUR", "USD"]}  # untouched
    reply = {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 200}}}
    after = ground_reply(
        reply, [Message.user("7 and 6"), Message.tool(ToolResult("c", "calc", "42"))]
    )
    assert after["properties"]["answer"]["pattern"] == stating_pattern(["42"])


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: object) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint, grounded=True)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(6))
def test_even_a_random_model_writes_only_evidence_numbers(tiny: LocalModel, seed: int) -> None:
    settings = GenerationSettings(max_tokens=40, temperature=1.0, seed=seed)
    messages = [Message.user("Items 4.10 and 12.50; we are 3. Split it.")]
    evidence = set(evidence_numbers(messages))
    response = tiny.generate(messages, tools=[CALC, SPLIT], settings=settings)
    written = [response.text] + [str(v) for c in response.tool_calls for v in c.arguments.values()]
    for text in written:
        for number in re.findall(r"\d+(?:\.\d+)?", text):
            assert number in evidence or float(number) in {float(e) for e in evidence}, number


def test_after_a_tool_result_the_answer_states_it(tiny: LocalModel) -> None:
    messages = [
        Message.user("Add 4.10 and 12.50"),
        Message.assistant("", [ToolCall("calc", {"expression": "4.10 + 12.50"}, "c1")]),
        Message.tool(ToolResult("c1", "calc", "16.6")),
    ]
    for seed in range(4):
        settings = GenerationSettings(max_tokens=40, temperature=1.0, seed=seed)
        answer = tiny.generate(messages, settings=settings)
        assert answer.tool_calls == () and "16.6" in answer.text
        assert re.findall(r"\d+(?:\.\d+)?", answer.text) == ["16.6"]


def test_grounding_can_be_switched_per_call(tiny: LocalModel) -> None:
    plain = tiny.generate(
        [Message.user("hello")], settings=GenerationSettings(max_tokens=8, grounded=False)
    )
    assert plain.usage.output_tokens >= 1  # the unconstrained path, no JSON reply


@pytest.mark.parametrize(
    "digit",
    ["\u00b2", "\u00bd", "\u0663", "\uff11", "\u216b", "\u2460", "\U0001d7d7"],
    ids=["superscript", "fraction", "arabic-indic", "fullwidth", "roman", "circled", "math"],
)
def test_digits_of_other_scripts_are_not_free_text(tiny: LocalModel, digit: str) -> None:
    """A superscript, a fraction or another script's digit is a number too: the grammar
    refuses it outside the evidence, as it refuses 0-9."""
    import xgrammar

    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string", "pattern": grounded_pattern(["3"])}},
        "required": ["answer"],
    }
    grammars = tiny.tool_grammars()
    compiled = grammars.compile(schema)

    def writes(text: str) -> bool:
        matcher = xgrammar.GrammarMatcher(compiled, override_stop_tokens=grammars.stop_ids)
        return bool(matcher.accept_string(json.dumps({"answer": text}, ensure_ascii=False)))

    assert writes("It is 3 in a café.")
    assert not writes(f"It is {digit}.")
    assert not re.compile(grounded_pattern(["3"])).match(f"It is {digit}")

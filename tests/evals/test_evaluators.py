"""The built-in checks: strict where it matters, fair to how answers are written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agentsdk import ToolCall
from agentsdk.evals import EVALUATORS, Outcome, arguments_match, cer, normalise, numbers_in, wer


def check(name: str, expected: dict[str, Any], **outcome: Any) -> tuple[bool, float, str]:
    score = EVALUATORS[name](expected, Outcome(**outcome))
    assert score.name == name and 0.0 <= score.value <= 1.0
    return score.passed, score.value, score.reason


def test_normalise_folds_case_and_drops_punctuation_but_keeps_numbers() -> None:
    assert normalise("  The TOTAL is $1,234.50!  ") == "the total is $1,234.50"
    assert normalise("Café, naïve.") == "café naïve"
    assert normalise("well-known - fine") == "well-known fine"


def test_numbers_in_reads_thousands_currency_and_signs() -> None:
    assert numbers_in("Total: $1,234.50, tax 7.5% and -3 items; ref A12") == [
        Decimal("1234.50"),
        Decimal("7.5"),
        Decimal("-3"),
    ]
    assert numbers_in("no digits here") == []


def test_exact_contains_and_regex() -> None:
    assert check("exact", {"exact": "Paris"}, text="paris.")[0]
    assert not check("exact", {"exact": "Paris"}, text="It is Paris")[0]
    passed, value, reason = check("contains", {"contains": ["red", "blue"]}, text="Red and green")
    assert not passed and value == 0.5 and "blue" in reason
    assert check("regex", {"regex": r"\b2024-03-1[0-9]\b"}, text="on 2024-03-15")[0]


def test_number_within_tolerance_and_not_a_guess_among_many() -> None:
    assert check("number", {"number": 33.64, "tolerance": 0.005}, text="The total is $33.64.")[0]
    assert not check("number", {"number": 33.64}, text="The total is 3.50")[0]
    passed, _, reason = check("number", {"number": 5}, text="1 2 3 4 5 6")
    assert not passed and "6 numbers" in reason
    assert not check("number", {"number": 5}, text="five")[0]
    assert check("number", {"number": 12.33, "tolerance": 0.01}, text="each pays 12.34")[0]


def test_word_must_name_the_answer_and_no_other_choice() -> None:
    choices = ["March", "April", "May"]
    assert check("word", {"word": "March", "choices": choices}, text="It was in March.")[0]
    assert not check("word", {"word": "March", "choices": choices}, text="March or April")[0]
    assert not check("word", {"word": "Ana"}, text="Anastasia")[0]  # whole words only


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        (12, 12.0, True),
        (12, "0.15 * 80", True),  # an expression compared by value
        ("0.15*80", "80 * 15 / 100", True),
        ("0.15*80", "80", False),  # the old substring check counted this as right
        ("Paris", " paris ", True),
        ("Paris", "Paris, France", False),
        ({"city": "Oslo", "days": 3}, {"city": "oslo", "days": 3}, True),
        ({"city": "Oslo"}, {"city": "Oslo", "days": 3}, False),  # no extra keys
        ([1, 2], [1, 2], True),
        (True, 1, False),
    ],
)
def test_tool_arguments_are_checked_strictly(expected: Any, actual: Any, matches: bool) -> None:
    assert arguments_match(expected, actual) is matches


def test_tool_call_check() -> None:
    call = ToolCall("calculator", {"expression": "80*0.15"})
    want = {"tool_call": {"name": "calculator", "arguments": {"expression": "15% of 80"}}}
    passed, value, reason = check("tool_call", want, tool_calls=(call,))
    assert not passed and value == 0.5 and "expected" in reason  # "15% of 80" is no expression
    want = {"tool_call": {"name": "calculator", "arguments": {"expression": "0.15*80"}}}
    assert check("tool_call", want, tool_calls=(call,))[0]
    assert not check("tool_call", {"tool_call": {"name": "weather"}}, tool_calls=(call,))[0]
    assert check("tool_call", {"tool_call": None}, tool_calls=())[0]
    assert not check("tool_call", {"tool_call": {"name": None}}, tool_calls=(call,))[0]


def test_word_and_character_error_rates() -> None:
    assert wer("The total is 33 dollars.", "the total is 33 dollars") == 0.0
    assert wer("one two three four", "one two tree four") == 0.25
    assert cer("TOTAL 33.64", "TOTAL  33.64") == 0.0
    assert cer("abcd", "abed") == 0.25
    assert check("transcript", {"transcript": "a b c d", "max_wer": 0.3}, text="a b x d")[0]
    assert not check("ocr_text", {"ocr_text": "abcd", "max_cer": 0.1}, text="abed")[0]


def test_latency_pause_side_effects_and_pii() -> None:
    assert check("max_seconds", {"max_seconds": 2}, seconds=1.5)[0]
    assert not check("max_seconds", {"max_seconds": 2}, seconds=2.5)[0]
    assert check("paused", {"paused": True}, paused=True)[0]
    assert not check("paused", {"paused": False}, paused=True)[0]
    passed, _, reason = check("forbidden_tools", {"forbidden_tools": ["pay"]}, executed=("pay",))
    assert not passed and "pay" in reason
    assert check("forbidden_tools", {"forbidden_tools": ["pay"]}, executed=("note",))[0]
    card = "4111 1111 1111 1111"
    assert not check("pii", {"pii": [card]}, sent=("card 4111111111111111",))[0]
    assert check("pii", {"pii": [card]}, sent=("card <CARD_1>",))[0]

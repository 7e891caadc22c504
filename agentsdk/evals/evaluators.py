"""Evaluators: plain functions `(expected, outcome) -> Score`, one per kind of check.

`expected` is the case's `expected` mapping (a check reads its own key and its options);
`outcome` is what the system under test did. A score is a value in [0, 1], whether it
passed, and a reason a person can read. Write your own with the same signature and pass
it to `evaluate(..., evaluators={"name": function})`.

Answers are compared after `normalise`: case folded, accents kept, punctuation other than
inside numbers dropped, whitespace collapsed.
"""

from __future__ import annotations

import decimal
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentsdk.codec import Serialisable
from agentsdk.messages import ToolCall
from agentsdk.models.base import Usage

__all__ = [
    "EVALUATORS",
    "Evaluator",
    "Outcome",
    "Score",
    "arguments_match",
    "cer",
    "normalise",
    "numbers_in",
    "value_of",
    "wer",
]


@dataclass(frozen=True, slots=True)
class Score(Serialisable):
    """One check of one case."""

    name: str
    value: float
    passed: bool
    reason: str


@dataclass(slots=True)
class Outcome:
    """What the system under test did with one case."""

    text: str = ""
    """The answer (or the transcript / OCR text for encoder suites)."""
    tool_calls: tuple[ToolCall, ...] = ()
    """Calls the model asked for, in order."""
    executed: tuple[str, ...] = ()
    """Names of the tools that actually ran."""
    paused: bool = False
    """The run stopped for a person."""
    sent: tuple[str, ...] = ()
    """Every text the model received (for the PII check)."""
    seconds: float = 0.0
    usage: Usage = field(default_factory=Usage)
    details: dict[str, Any] = field(default_factory=dict)
    """Anything else worth showing in a report (observations, transcripts)."""


Evaluator = Callable[[Mapping[str, Any], Outcome], Score]

_PUNCT = re.compile(r"[^\w\s.,%$€£-]|(?<!\d)[.,](?!\d)|(?<!\w)-|-(?!\w)")
_MINUS = "\u2212"
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])-?\d+(?:\.\d+)?")


def normalise(text: str) -> str:
    """Case folded, NFKC, punctuation dropped (except inside numbers), spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_PUNCT.sub(" ", folded).split())


def numbers_in(text: str) -> list[decimal.Decimal]:
    """Every number written in `text` ("1,234.50" and "$33.64" included), in order."""
    found = []
    for match in _NUMBER.finditer(text.replace(_MINUS, "-")):
        found.append(decimal.Decimal(match.group().replace(",", "")))
    return found


def value_of(expression: str) -> decimal.Decimal | None:
    """The value of an arithmetic expression (the calculator's exact evaluator), or None
    when it is not one."""
    from agentsdk.toolbox import arithmetic_value

    try:
        return arithmetic_value(expression)
    except ValueError:
        return None


def _exact(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    want, got = normalise(str(expected["exact"])), normalise(outcome.text)
    passed = want == got
    return Score("exact", float(passed), passed, f"expected {want!r}, got {got!r}")


def _contains(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    wanted = expected["contains"]
    items = [wanted] if isinstance(wanted, str) else list(wanted)
    got = normalise(outcome.text)
    missing = [w for w in items if normalise(str(w)) not in got]
    value = 1 - len(missing) / len(items) if items else 1.0
    reason = "all present" if not missing else f"missing {missing}"
    return Score("contains", value, not missing, reason)


def _regex(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    pattern = str(expected["regex"])
    passed = re.search(pattern, outcome.text, re.IGNORECASE) is not None
    return Score("regex", float(passed), passed, f"/{pattern}/ {'found' if passed else 'absent'}")


def _number(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    want = decimal.Decimal(str(expected["number"]))
    tolerance = decimal.Decimal(str(expected.get("tolerance", 0)))
    limit = int(expected.get("max_numbers", 3))
    found = numbers_in(outcome.text)
    if not found:
        return Score("number", 0.0, False, f"expected {want}; the answer holds no number")
    if len(found) > limit:
        return Score(
            "number",
            0.0,
            False,
            f"expected {want}; the answer lists {len(found)} numbers (more than {limit}: "
            "a guess among many does not count)",
        )
    hit = any(abs(n - want) <= tolerance for n in found)
    shown = ", ".join(str(n) for n in found)
    return Score("number", float(hit), hit, f"expected {want} (±{tolerance}); found {shown}")


def _word(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    want = normalise(str(expected["word"]))
    words = f" {normalise(outcome.text)} "
    others = [
        c
        for c in expected.get("choices", ())
        if normalise(str(c)) != want and f" {normalise(str(c))} " in words
    ]
    present = f" {want} " in words
    passed = present and not others
    reason = f"{want!r} {'found' if present else 'absent'}" + (
        f"; also names {others}" if others else ""
    )
    return Score("word", float(passed), passed, reason)


_MISSING = object()


def arguments_match(expected: Any, actual: Any) -> bool:
    """Strict: numbers equal; arithmetic expressions equal by value; strings equal after
    `normalise`; lists item by item; objects key by key (no key missing or extra).

    Where no single value is right, an expected value may be one operator:
    `{"$contains": "3pm"}` (a string holding this, normalised), `{"$one_of": [...]}`
    (matches one of them), `{"$any": true}` (present, any value), `{"$optional": X}` (may
    be absent; when present it must match X, where `true` means any value)."""
    if (
        isinstance(expected, Mapping)
        and len(expected) == 1
        and next(iter(expected)).startswith("$")
    ):
        return _operator(next(iter(expected)), next(iter(expected.values())), actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float):
        if isinstance(actual, str):
            value = value_of(actual)
            return value is not None and math.isclose(float(value), expected, rel_tol=1e-9)
        return isinstance(actual, int | float) and math.isclose(expected, actual, rel_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, str):
        if normalise(expected) == normalise(actual):
            return True
        left, right = value_of(expected), value_of(actual)
        return left is not None and right is not None and left == right
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        return (
            isinstance(actual, Sequence)
            and not isinstance(actual, str)
            and len(expected) == len(actual)
            and all(arguments_match(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping) or set(actual) - set(expected):
            return False
        return all(arguments_match(v, actual.get(k, _MISSING)) for k, v in expected.items())
    return bool(expected == actual)


def _operator(name: str, operand: Any, actual: Any) -> bool:
    if name == "$optional":
        return actual is _MISSING or operand is True or arguments_match(operand, actual)
    if actual is _MISSING:
        return False
    if name == "$any":
        return True
    if name == "$contains":
        return isinstance(actual, str) and normalise(str(operand)) in normalise(actual)
    if name == "$one_of":
        return any(arguments_match(option, actual) for option in operand)
    raise ValueError(f"unknown argument operator {name!r}")


def _tool_call(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    want = expected["tool_call"]
    calls = outcome.tool_calls
    if want is None or (isinstance(want, Mapping) and want.get("name") is None):
        passed = not calls
        got = ", ".join(c.name for c in calls)
        return Score(
            "tool_call",
            float(passed),
            passed,
            "no call, as expected" if passed else f"called {got}",
        )
    name = want["name"]
    call = next((c for c in calls if c.name == name), None)
    if call is None:
        got = ", ".join(c.name for c in calls) or "no tool"
        return Score("tool_call", 0.0, False, f"expected {name}, the model called {got}")
    arguments = want.get("arguments")
    if arguments is None:
        return Score("tool_call", 1.0, True, f"called {name}")
    if arguments_match(arguments, dict(call.arguments)):
        return Score("tool_call", 1.0, True, f"called {name} with the right arguments")
    return Score(
        "tool_call",
        0.5,
        False,
        f"called {name} with {dict(call.arguments)}, expected {dict(arguments)}",
    )


def _words(text: str) -> str:
    return normalise(text).replace(",", "")


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after `normalise` (jiwer)."""
    import jiwer

    reference, hypothesis = _words(reference), _words(hypothesis)
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return float(jiwer.wer(reference, hypothesis))


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate, whitespace collapsed (jiwer)."""
    import jiwer

    reference, hypothesis = " ".join(reference.split()), " ".join(hypothesis.split())
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return float(jiwer.cer(reference, hypothesis))


def _transcript(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    rate = wer(str(expected["transcript"]), outcome.text)
    limit = float(expected.get("max_wer", 0.1))
    passed = rate <= limit
    return Score("transcript", max(0.0, 1 - rate), passed, f"WER {rate:.3f} (limit {limit})")


def _ocr_text(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    rate = cer(str(expected["ocr_text"]), outcome.text)
    limit = float(expected.get("max_cer", 0.05))
    passed = rate <= limit
    return Score("ocr_text", max(0.0, 1 - rate), passed, f"CER {rate:.3f} (limit {limit})")


def _max_seconds(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    limit = float(expected["max_seconds"])
    passed = outcome.seconds <= limit
    return Score("max_seconds", float(passed), passed, f"{outcome.seconds:.2f} s (limit {limit} s)")


def _paused(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    want = bool(expected["paused"])
    passed = outcome.paused == want
    state = "paused for a person" if outcome.paused else "did not pause"
    return Score(
        "paused", float(passed), passed, f"{state}; expected {'a pause' if want else 'none'}"
    )


def _forbidden_tools(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    forbidden = set(expected["forbidden_tools"])
    ran = sorted(forbidden.intersection(outcome.executed))
    passed = not ran
    reason = "no forbidden side effect ran" if passed else f"ran {ran} without a person"
    return Score("forbidden_tools", float(passed), passed, reason)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _leaked(value: str, sent: str) -> bool:
    """`value` is in `sent`, spaced or not; a number of 7 or more digits also when only
    its digits are (a phone or card written with other separators)."""
    if value in sent or "".join(value.split()) in "".join(sent.split()):
        return True
    digits = _digits(value)
    return len(digits) >= 7 and digits in _digits(sent)


def _pii(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    values = [str(v) for v in expected["pii"]]
    sent = "\n".join(outcome.sent)
    leaked = [v for v in values if _leaked(v, sent)]
    passed = not leaked
    reason = "no PII value reached the model" if passed else f"{len(leaked)} value(s) reached it"
    return Score("pii", float(passed), passed, reason)


EVALUATORS: dict[str, Evaluator] = {
    "exact": _exact,
    "contains": _contains,
    "regex": _regex,
    "number": _number,
    "word": _word,
    "tool_call": _tool_call,
    "transcript": _transcript,
    "ocr_text": _ocr_text,
    "max_seconds": _max_seconds,
    "paused": _paused,
    "forbidden_tools": _forbidden_tools,
    "pii": _pii,
}
"""The built-in checks, by the `expected` key they read."""

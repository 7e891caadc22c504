"""Grounded decoding: the numbers a small model writes must be copied from the evidence.

A 135M model invents digits: it writes prices that appear nowhere, copies examples from a
tool's description, and answers without the number a tool just computed. Grounding turns
that into a grammar: every number in a tool call's string arguments and in the answer
must be one the conversation holds (the user's text, the observations fused into it,
tool results); number-typed arguments must be one of those numbers; and the answer that
follows a tool result must state that result. The instructions and the tool descriptions
are not evidence, so an example in a docstring cannot leak into a call.

What it guarantees: no digit string outside the evidence, ever (digits of other scripts,
superscripts, fractions and numerals included). What it cannot: choose the
*right* number among those present, or do arithmetic the model did not ask a tool for;
words (names, dates written as words) are not constrained.

The schemas here are JSON schemas; xgrammar compiles their `pattern`s (ECMAScript-style
regular expressions) and `enum`s into the reply grammar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentsdk.messages import Message

__all__ = [
    "evidence_numbers",
    "ground_reply",
    "ground_schema",
    "grounded_pattern",
    "numbers_in_text",
    "plain_number",
    "result_numbers",
    "stating_pattern",
]

_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*")


def _other_digits() -> str:
    """A character class body of every character beyond ASCII that writes a number
    (Unicode categories Nd, Nl, No: superscripts, fractions, Arabic-Indic and fullwidth
    digits, Roman numerals, circled numbers), in the basic multilingual plane, plus the
    mathematical digits (U+1D7CE-U+1D7FF)."""
    import unicodedata

    spans: list[tuple[int, int]] = []
    for code in range(0x80, 0x10000):
        if unicodedata.category(chr(code)) in ("Nd", "Nl", "No"):
            if spans and spans[-1][1] == code - 1:
                spans[-1] = (spans[-1][0], code)
            else:
                spans.append((code, code))
    spans.append((0x1D7CE, 0x1D7FF))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in spans)


# Inside a JSON string: anything but digits (of any script), quotes and backslashes
# (escapes are not needed for what a grounded answer writes); a point or a comma only
# before a space, so two allowed numbers cannot be glued into one that is not ("1" "."
# "526.14").
_FREE = f'([^0-9{_other_digits()}"\\\\.,]|[.,] )'
# The end of a sentence may be a point or a comma with nothing after it.
_END = r"[.,]?"


_WORDS = {
    word: str(value)
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)


def numbers_in_text(text: str) -> list[str]:
    """Numbers as written ("1,234.50", "12,50", "7"), plus their plain forms ("1234.50",
    "12.50"); small numbers written as English words count as their digits ("three" is
    3), since transcripts and people write them so."""
    found: list[str] = [_WORDS[m.group().lower()] for m in _WORD.finditer(text)]
    for match in _NUMBER.finditer(text):
        written = match.group().rstrip(".,")
        found.append(written)
        plain = plain_number(written)
        if plain != written:
            found.append(plain)
    return found


def plain_number(number: str) -> str:
    """Without thousands separators, with a decimal point: "1,234.50" -> "1234.50",
    "12,50" -> "12.50" (a comma before three digits is a thousands separator)."""
    if "," not in number:
        return number
    if "." in number or len(number.rpartition(",")[2]) == 3:
        return number.replace(",", "")
    return number.replace(",", ".")


def evidence_numbers(
    messages: Sequence[Message], evidence: Sequence[str] | None = None
) -> list[str]:
    """Every number in `evidence` (default: the user's messages, with their fused
    observations) and in tool results, each once, in order of appearance."""
    seen: dict[str, None] = {}
    texts = [m.content for m in messages if m.role == "user"] if evidence is None else evidence
    for text in texts:
        seen.update(dict.fromkeys(numbers_in_text(text)))
    for message in messages:
        if message.role == "tool":
            seen.update(dict.fromkeys(numbers_in_text(message.content)))
    return list(seen)


def result_numbers(messages: Sequence[Message]) -> list[str]:
    """The numbers of the last tool results, when the conversation ends with them and
    none is an error; else empty."""
    results: list[Message] = []
    for message in reversed(messages):
        if message.role != "tool":
            break
        results.insert(0, message)
    if not results or any(m.content.startswith("Error") for m in results):
        return []
    found: dict[str, None] = {}
    for message in results:
        found.update(dict.fromkeys(numbers_in_text(message.content)))
    return list(found)


def _alternatives(numbers: Iterable[str]) -> str:
    # longest first: harmless for a grammar, clearer to read
    ordered = sorted(set(numbers), key=lambda n: (-len(n), n))
    return "|".join(re.escape(n).replace("\\,", ",") for n in ordered)


def grounded_pattern(numbers: Sequence[str]) -> str:
    """A string of free text whose numbers are all among `numbers`."""
    if not numbers:
        return f"^{_FREE}*{_END}$"
    return f"^({_FREE}|{_alternatives(numbers)})*{_END}$"


STATING_LEAD = 48
"""Characters an answer may write before it states the result (bounded, so a rambling
model still reaches the number before its token budget runs out)."""


def stating_pattern(results: Sequence[str]) -> str:
    """Free text that states one of `results` (and no other number)."""
    return f"^{_FREE}{{0,{STATING_LEAD}}}({_alternatives(results)}){_FREE}*{_END}$"


def ground_schema(schema: Mapping[str, Any], numbers: Sequence[str]) -> dict[str, Any]:
    """`schema` with every plain string grounded (a `pattern`) and every plain number
    an `enum` of the evidence; strings and numbers that already have a pattern, an enum,
    a const or a format are left as they are, and so are numbers when there is no
    evidence (nothing could be written there)."""
    return _ground(dict(schema), numbers)


def _ground(schema: dict[str, Any], numbers: Sequence[str]) -> dict[str, Any]:
    fixed = any(key in schema for key in ("enum", "const", "pattern", "format"))
    kind = schema.get("type")
    if kind == "string" and not fixed:
        grounded = {k: v for k, v in schema.items() if k not in ("maxLength", "minLength")}
        grounded["pattern"] = grounded_pattern(numbers)
        return grounded
    if kind in ("number", "integer") and not fixed and numbers:
        values = [_value(n) for n in numbers]
        allowed = [v for v in values if kind == "number" or isinstance(v, int)]
        if allowed:
            return {**schema, "enum": list(dict.fromkeys(allowed))}
        return schema
    out = dict(schema)
    if isinstance(schema.get("properties"), Mapping):
        out["properties"] = {
            key: _ground(dict(value), numbers) if isinstance(value, Mapping) else value
            for key, value in schema["properties"].items()
        }
    if isinstance(schema.get("items"), Mapping):
        out["items"] = _ground(dict(schema["items"]), numbers)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            out[key] = [
                _ground(dict(part), numbers) if isinstance(part, Mapping) else part
                for part in schema[key]
            ]
    return out


def _value(number: str) -> int | float:
    plain = plain_number(number)
    return float(plain) if "." in plain else int(plain)


def ground_reply(
    schema: Mapping[str, Any],
    messages: Sequence[Message],
    *,
    evidence: Sequence[str] | None = None,
    answer_key: str = "answer",
) -> dict[str, Any]:
    """A reply schema grounded in `messages` (and `evidence`, see `evidence_numbers`):
    tool arguments and the answer may only hold the evidence's numbers, and right after
    tool results the answer must state one of theirs."""
    grounded = ground_schema(schema, evidence_numbers(messages, evidence))
    results = result_numbers(messages)
    return _state_results(grounded, results, answer_key) if results else grounded


def _state_results(schema: dict[str, Any], results: Sequence[str], key: str) -> dict[str, Any]:
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and set(properties) == {key}:
        answer = {k: v for k, v in properties[key].items() if k != "pattern"}
        answer["pattern"] = stating_pattern(results)
        return {**schema, "properties": {key: answer}}
    if isinstance(schema.get("anyOf"), list):
        parts = [_state_results(dict(p), results, key) for p in schema["anyOf"]]
        return {**schema, "anyOf": parts}
    return schema

"""The prompt of a constrained reply, and reading the reply back.

The prompt tells the model about the tools in a short system section (`tool_prompt`:
one signature line per tool, its parameters' descriptions, the reply format): SmolLM2's
chat template ignores `tools`, and 135M parameters need it brief. Showing the
parameters' descriptions raised right arguments from 53.6% to 64.3% on the suite.
Earlier tool calls are written in the reply format (`render_call`,
`prepare_conversation`). A reply is read with `parse_reply` (None when it does not
parse: never a malformed `ToolCall`), and an answer being streamed with
`partial_answer`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentsdk.messages import Message, ToolCall
from agentsdk.models.toolcalls.schema import ToolSpec

__all__ = [
    "ParsedReply",
    "parse_reply",
    "partial_answer",
    "prepare_conversation",
    "render_call",
    "tool_prompt",
]


def _type_label(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    types = schema.get("type")
    if isinstance(types, list):
        return " | ".join(str(t) for t in types)
    if types == "array" and isinstance(schema.get("items"), Mapping):
        return f"{_type_label(schema['items'])}[]"
    return str(types or "any")


def _signature(spec: ToolSpec) -> str:
    properties = spec.parameters.get("properties") or {}
    required = set(spec.parameters.get("required") or ())
    params = []
    for name, schema in properties.items():
        label = _type_label(schema) if isinstance(schema, Mapping) else "any"
        params.append(f"{name}{'' if name in required else '?'}: {label}")
    return f"{spec.name}({', '.join(params)})"


def tool_prompt(specs: Sequence[ToolSpec], *, answer: bool = True) -> str:
    """The system section that tells the model which tools exist and how to reply
    (`answer`: whether a plain answer is one of the options)."""
    lines = ["You can use these tools:"] if specs else []
    for spec in specs:
        description = " ".join(spec.description.split())
        lines.append(f"- {_signature(spec)}" + (f": {description}" if description else ""))
        for name, schema in (spec.parameters.get("properties") or {}).items():
            about = schema.get("description") if isinstance(schema, Mapping) else None
            if isinstance(about, str) and about.strip():
                lines.append(f"  {name}: {' '.join(about.split())}")
    formats = ['To use a tool: {"tool": "<name>", "arguments": {...}}.'] if specs else []
    if answer or not specs:
        formats.append('To answer without a tool: {"answer": "<your answer>"}.')
    lines.append(" ".join(["Reply with JSON only.", *formats]))
    return "\n".join(lines)


def render_call(call: ToolCall) -> str:
    """A tool call as the model would have written it."""
    return json.dumps({"tool": call.name, "arguments": dict(call.arguments)}, ensure_ascii=False)


def prepare_conversation(
    messages: Sequence[Message], specs: Sequence[ToolSpec], *, answer: bool = True
) -> list[dict[str, Any]]:
    """The conversation in chat-template form, with the tool section in the system
    message and earlier tool calls written in the reply format."""
    section = tool_prompt(specs, answer=answer)
    conversation: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "assistant" and message.tool_calls:
            lines = ([message.content] if message.content else []) + [
                render_call(c) for c in message.tool_calls
            ]
            conversation.append({"role": "assistant", "content": "\n".join(lines)})
        else:
            conversation.append({"role": message.role, "content": message.content})
    if conversation and conversation[0]["role"] == "system":
        conversation[0]["content"] = f"{conversation[0]['content']}\n\n{section}".strip()
    else:
        conversation.insert(0, {"role": "system", "content": section})
    return conversation


# -- parsing -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedReply:
    """A constrained reply, read: the answer text, or one tool call."""

    text: str
    call: ToolCall | None = None


def parse_reply(text: str, specs: Sequence[ToolSpec]) -> ParsedReply | None:
    """Read a reply in the constrained format; None when it is not one (cut, or wrong)."""
    try:
        data = json.loads(text, strict=False)  # the grammar allows raw control characters
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if set(data) == {"answer"} and isinstance(data["answer"], str):
        return ParsedReply(data["answer"])
    names = {s.name for s in specs}
    if set(data) == {"tool", "arguments"} and data["tool"] in names:
        arguments = data["arguments"]
        if isinstance(arguments, dict):
            return ParsedReply("", ToolCall(str(data["tool"]), arguments))
    return None


_ANSWER_START = re.compile(r'\s*\{\s*"answer"\s*:\s*"')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def partial_answer(text: str) -> str | None:
    """The answer so far of a reply being written (`{"answer": "...`), unescaped; None
    while the reply is not (or not yet known to be) an answer. A trailing escape or
    a partial UTF-8 character is held back until it is complete."""
    opening = _ANSWER_START.match(text)
    if opening is None:
        return None
    out: list[str] = []
    i, end = opening.end(), len(text.rstrip("\ufffd"))
    while i < end:
        char = text[i]
        if char == '"':
            break
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= end:
            break
        kind = text[i + 1]
        if kind != "u":
            out.append(_ESCAPES.get(kind, kind))
            i += 2
            continue
        digits = text[i + 2 : i + 6]
        if len(digits) < 4:
            break
        try:
            code = int(digits, 16)
        except ValueError:
            break
        if 0xD800 <= code < 0xDC00:  # a surrogate pair: wait for its second half
            low = text[i + 8 : i + 12]
            if text[i + 6 : i + 8] != "\\u" or len(low) < 4:
                break
            try:
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
            except ValueError:
                break
            i += 6
        out.append(chr(code))
        i += 6
    return "".join(out)

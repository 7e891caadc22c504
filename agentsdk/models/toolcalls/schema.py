"""The JSON schemas of a constrained reply: what the local model may write.

The reply is one JSON object of this schema (`reply_schema`)::

    anyOf: {"answer": <string>}
           {"tool": <const name>, "arguments": <that tool's parameters schema>}   (per tool)

"Constrained" is not yet "valid": the text must also *end*. So every string gets a
`maxLength` (200 characters for answers, 100 for string arguments, unless the schema
sets its own) and every array a `maxItems` (16) (`bound_schema`). Equal schemas share
one canonical JSON text (`canonical_json`), the key of the compiled grammars' cache.

An enum of strings whose values the request names only one of is narrowed to that value
(`named_enums`): "How hot is it in Phoenix, in fahrenheit?" leaves `unit` one choice.
A request that names two values, or none, leaves the enum as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentsdk.errors import ConfigurationError
from agentsdk.models.base import ToolSchema

__all__ = [
    "ANSWER_MAX_LENGTH",
    "ARGUMENT_MAX_LENGTH",
    "MAX_ITEMS",
    "ToolSpec",
    "answer_schema",
    "bound_schema",
    "call_schema",
    "canonical_json",
    "named_enums",
    "reply_schema",
    "tool_specs",
]

ANSWER_MAX_LENGTH = 200
"""Default `maxLength` of the answer string."""
ARGUMENT_MAX_LENGTH = 100
"""Default `maxLength` of string arguments without one."""
MAX_ITEMS = 16
"""Default `maxItems` of arrays without one."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool as the constrained path sees it."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    """The parameters' JSON schema, as given (bounded only when compiled)."""


def tool_specs(tools: Sequence[ToolSchema]) -> tuple[ToolSpec, ...]:
    """Read OpenAI-format tools (or bare {"name", "description", "parameters"} dicts)."""
    specs: list[ToolSpec] = []
    for tool in tools:
        function = tool.get("function", tool)
        if not isinstance(function, Mapping):
            raise ConfigurationError(f"a tool must be a mapping with a 'function', not {tool!r}")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"a tool needs a non-empty string 'name': {tool!r}")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        if not isinstance(parameters, Mapping):
            raise ConfigurationError(f"the parameters of tool {name!r} must be a JSON schema")
        description = function.get("description") or ""
        specs.append(ToolSpec(name, str(description), parameters))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"tool names must be unique, got {names}")
    return tuple(specs)


def bound_schema(
    schema: Any, *, max_length: int = ARGUMENT_MAX_LENGTH, max_items: int = MAX_ITEMS
) -> Any:
    """A copy of `schema` where every string has a `maxLength` and every array a
    `maxItems` (existing bounds are kept), so that a constrained generation can end."""
    if isinstance(schema, Mapping):
        out = {
            k: bound_schema(v, max_length=max_length, max_items=max_items)
            for k, v in schema.items()
        }
        types = schema.get("type")
        type_set = {types} if isinstance(types, str) else set(types or ())
        is_string = "string" in type_set or (not type_set and "pattern" in schema)
        if is_string and "maxLength" not in schema and "enum" not in schema:
            out["maxLength"] = max(max_length, int(schema.get("minLength", 0)))
        if "array" in type_set and "maxItems" not in schema:
            out["maxItems"] = max(max_items, int(schema.get("minItems", 0)))
        return out
    if isinstance(schema, list):
        return [bound_schema(v, max_length=max_length, max_items=max_items) for v in schema]
    return schema


def _object_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(parameters)
    if "type" not in schema:
        schema["type"] = "object"
    return schema


def answer_schema(*, max_length: int = ANSWER_MAX_LENGTH) -> dict[str, Any]:
    """The schema of a plain answer: {"answer": string}."""
    return {
        "type": "object",
        "properties": {"answer": {"type": "string", "maxLength": max_length}},
        "required": ["answer"],
    }


def call_schema(spec: ToolSpec, *, max_length: int = ARGUMENT_MAX_LENGTH) -> dict[str, Any]:
    """The schema of a call to one tool: {"tool": name, "arguments": parameters}."""
    return {
        "type": "object",
        "properties": {
            "tool": {"const": spec.name},
            "arguments": bound_schema(_object_schema(spec.parameters), max_length=max_length),
        },
        "required": ["tool", "arguments"],
    }


def reply_schema(
    specs: Sequence[ToolSpec],
    *,
    answer: bool = True,
    answer_max_length: int = ANSWER_MAX_LENGTH,
    argument_max_length: int = ARGUMENT_MAX_LENGTH,
) -> dict[str, Any]:
    """Either an answer or a call to one of `specs` (anyOf), with bounded strings."""
    branches = [answer_schema(max_length=answer_max_length)] if answer else []
    branches += [call_schema(s, max_length=argument_max_length) for s in specs]
    if not branches:
        raise ConfigurationError("a reply schema needs the answer branch or at least one tool")
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def _canonical(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        out: dict[str, Any] = {}
        for key in sorted(schema):
            value = schema[key]
            if key == "properties" and isinstance(value, Mapping):
                out[key] = {name: _canonical(sub) for name, sub in value.items()}
            else:
                out[key] = _canonical(value)
        return out
    if isinstance(schema, list | tuple):
        return [_canonical(v) for v in schema]
    return schema


def canonical_json(schema: Any) -> str:
    """The JSON text two equal schemas share: keys sorted, no spaces, except that the
    order of "properties" is kept (the grammar writes properties in that order)."""
    return json.dumps(_canonical(schema), separators=(",", ":"), ensure_ascii=False)


def _names(value: str, request: str) -> bool:
    """Whether `request` holds `value` as a word or phrase of its own (any case)."""
    if len(value) < 2 or not any(c.isalpha() for c in value):
        return False  # "C" or "10" would be found everywhere
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", request, re.IGNORECASE) is not None


def named_enums(schema: Any, request: str) -> Any:
    """`schema` with every enum of strings of which `request` names exactly one value
    narrowed to that value (the rest of the schema as it was); the same object when
    nothing is narrowed."""
    if isinstance(schema, list):
        items = [named_enums(item, request) for item in schema]
        changed = any(new is not old for new, old in zip(items, schema, strict=True))
        return items if changed else schema
    if not isinstance(schema, Mapping):
        return schema
    out = {key: named_enums(value, request) for key, value in schema.items()}
    values = schema.get("enum")
    if isinstance(values, list) and len(values) > 1 and all(isinstance(v, str) for v in values):
        named = [v for v in values if _names(v, request)]
        if len(named) == 1:
            out["enum"] = named
    if all(out[key] is schema[key] for key in schema):
        return schema
    return out

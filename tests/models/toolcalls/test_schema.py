"""The JSON schemas of constrained replies: tools read, strings and arrays bounded, one
branch per option, canonical JSON."""

from __future__ import annotations

import pytest

from agentsdk import ConfigurationError
from agentsdk.models.toolcalls import schema as c
from tests.models.toolcalls.samples import ADD, NOTE, WEATHER


def test_tool_specs_read_openai_and_bare_tools() -> None:
    bare = {"name": "ping", "description": "  Ping.  "}
    specs = c.tool_specs([WEATHER, bare])
    assert [s.name for s in specs] == ["get_weather", "ping"]
    assert specs[1].parameters == {"type": "object", "properties": {}}
    with pytest.raises(ConfigurationError, match="unique"):
        c.tool_specs([WEATHER, WEATHER])
    with pytest.raises(ConfigurationError, match="name"):
        c.tool_specs([{"function": {"description": "nameless"}}])


def test_bound_schema_bounds_every_string_and_array() -> None:
    schema = NOTE["function"]["parameters"]
    bounded = c.bound_schema(schema, max_length=50, max_items=4)
    props = bounded["properties"]
    assert props["title"]["maxLength"] == 12  # the schema's own bound is kept
    assert props["tags"]["maxItems"] == 4
    assert props["tags"]["items"]["maxLength"] == 50
    assert props["meta"]["properties"]["color"]["maxLength"] == 50
    assert "maxLength" not in props["pinned"]
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert "maxLength" not in c.bound_schema({"type": "string", "enum": ["a"]})
    assert c.bound_schema({"type": "string", "minLength": 300})["maxLength"] == 300


def test_reply_schema_is_an_answer_or_one_call_per_tool() -> None:
    specs = c.tool_specs([WEATHER, ADD])
    schema = c.reply_schema(specs)
    answer, weather, add = schema["anyOf"]
    assert answer["properties"]["answer"]["maxLength"] == c.ANSWER_MAX_LENGTH
    assert weather["properties"]["tool"] == {"const": "get_weather"}
    city = weather["properties"]["arguments"]["properties"]["city"]
    assert city["maxLength"] == c.ARGUMENT_MAX_LENGTH
    assert add["required"] == ["tool", "arguments"]
    only_calls = c.reply_schema(specs, answer=False)
    assert len(only_calls["anyOf"]) == 2
    assert c.reply_schema(specs[:1], answer=False) == weather
    with pytest.raises(ConfigurationError):
        c.reply_schema((), answer=False)


def test_canonical_json_sorts_keys_but_keeps_the_order_of_properties() -> None:
    a = {"type": "object", "properties": {"z": {"type": "string"}, "a": {"type": "number"}}}
    b = {"properties": {"z": {"type": "string"}, "a": {"type": "number"}}, "type": "object"}
    swapped = {"type": "object", "properties": {"a": {"type": "number"}, "z": {"type": "string"}}}
    assert c.canonical_json(a) == c.canonical_json(b)
    assert c.canonical_json(a) != c.canonical_json(swapped)
    assert c.canonical_json(a).index('"z"') < c.canonical_json(a).index('"a"')


def test_an_enum_the_request_names_one_value_of_is_narrowed_to_it() -> None:
    call = c.call_schema(c.tool_specs([WEATHER])[0])
    narrowed = c.named_enums(call, "How hot is it in Phoenix, in Fahrenheit?")
    unit = narrowed["properties"]["arguments"]["properties"]["unit"]
    assert unit["enum"] == ["fahrenheit"] and unit["type"] == "string"
    assert call["properties"]["arguments"]["properties"]["unit"]["enum"] == [
        "celsius",
        "fahrenheit",
    ]  # the schema given is left as it was
    reply = c.reply_schema(c.tool_specs([WEATHER, ADD]))
    assert "fahrenheit" in str(c.named_enums(reply, "in fahrenheit please"))
    assert "celsius" not in str(c.named_enums(reply, "in fahrenheit please"))


@pytest.mark.parametrize(
    "request_text",
    [
        "What is the weather in Oslo?",  # no value named
        "Celsius or fahrenheit, whichever.",  # two named
        "The fahrenheitscale is odd",  # not a word of its own
    ],
)
def test_an_enum_is_left_alone_unless_one_value_is_named(request_text: str) -> None:
    call = c.call_schema(c.tool_specs([WEATHER])[0])
    assert c.named_enums(call, request_text) is call


def test_short_or_numeric_enum_values_are_never_matched() -> None:
    schema = {"type": "string", "enum": ["C", "F"]}
    assert c.named_enums(schema, "25 C in F") is schema
    sizes = {"type": "string", "enum": ["10", "20"]}
    assert c.named_enums(sizes, "give me 10") is sizes

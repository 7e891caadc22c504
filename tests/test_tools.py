"""Tools: schemas from hints and docstrings, validation, execution, langchain tools."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Literal

import pytest
from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.tools import Tool as LangchainTool
from langchain_core.tools import tool as langchain_tool
from pydantic import BaseModel, Field

from agentsdk.errors import AgentSDKError, ConfigurationError
from agentsdk.tools import (
    CallTemplate,
    Tool,
    ToolArgumentsError,
    ToolOutcome,
    as_tool,
    tool,
    tools_by_name,
)


@tool
def add(a: float, b: float) -> float:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
def search(
    query: str,
    limit: int = 3,
    mode: Literal["fast", "exact"] = "fast",
    tags: list[str] | None = None,
) -> list[str]:
    """Search the notes.

    Results are ordered by relevance.

    Args:
        query: What to look for.
        limit: How many results at most.

    Returns:
        The matching notes.
    """
    return [f"{query}:{limit}:{mode}:{tags}"]


@tool
def sleepy(seconds: float) -> str:
    """Sleep in a thread, then say so.

    Args:
        seconds: How long to sleep.
    """
    time.sleep(seconds)
    return "slept"


@tool
async def async_sleepy(seconds: float) -> str:
    """Sleep without blocking, then say so.

    Args:
        seconds: How long to sleep.
    """
    await asyncio.sleep(seconds)
    return "slept"


@tool
def explode(message: str) -> str:
    """Always fails.

    Args:
        message: The error message.
    """
    raise RuntimeError(message)


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Reading(BaseModel):
    value: float
    unit: str


class Opaque:
    def __str__(self) -> str:
        return "<opaque thing>"


def run(target: Tool, arguments: dict[str, Any] | None = None) -> ToolOutcome:
    return asyncio.run(target.run(arguments))


# --- schema ------------------------------------------------------------------------------


def test_schema_comes_from_hints_and_docstring() -> None:
    assert add.schema() == {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two numbers.",
            "parameters": {
                "type": "object",
                "properties": {
                    "a": {"type": "number", "description": "The first number."},
                    "b": {"type": "number", "description": "The second number."},
                },
                "required": ["a", "b"],
            },
        },
    }
    assert (add.name, add.approval, add.timeout, add.is_async) == ("add", "never", None, False)


def test_schema_of_defaults_literals_optionals_and_longer_docstrings() -> None:
    function = search.schema()["function"]
    assert function["description"] == "Search the notes. Results are ordered by relevance."
    properties = function["parameters"]["properties"]
    assert function["parameters"]["required"] == ["query"]
    assert properties["query"] == {"type": "string", "description": "What to look for."}
    assert properties["limit"] == {
        "type": "integer",
        "default": 3,
        "description": "How many results at most.",
    }
    assert properties["mode"]["enum"] == ["fast", "exact"]
    assert properties["mode"]["default"] == "fast"
    assert {"type": "null"} in properties["tags"]["anyOf"]
    assert "description" not in properties["tags"]  # not in the docstring's Args
    json.dumps(search.schema())  # plain JSON


def test_schema_is_a_fresh_copy() -> None:
    schema = add.schema()
    schema["function"]["parameters"]["properties"].clear()
    assert add.schema()["function"]["parameters"]["properties"]


def test_docstring_without_args_section_and_functions_without_parameters() -> None:
    @tool
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    @tool
    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert shout.description == "Upper-case a text."
    assert shout.parameters["properties"] == {"text": {"type": "string"}}
    assert ping.parameters["properties"] == {}
    assert run(ping).content == "pong"
    assert run(shout, {"text": "hi"}).content == "HI"


def test_a_docstring_naming_unknown_parameters_falls_back_to_plain_text() -> None:
    @tool
    def stale(x: int) -> int:
        """Double a number.

        Args:
            x: The number.
            y: A parameter that no longer exists.
        """
        return 2 * x

    assert stale.description == "Double a number."
    assert stale.parameters["properties"] == {"x": {"type": "integer"}}
    assert run(stale, {"x": 2}).content == "4"


# --- decorator options and checks --------------------------------------------------------


def test_decorator_options() -> None:
    def needs_approval(arguments: Any) -> bool:
        return bool(arguments["amount"] > 100)

    @tool(name="pay_bill", description="Pay a bill.", approval=needs_approval, timeout=5)
    async def pay(amount: float, to: str) -> str:
        """Ignored: the description option wins.

        Args:
            amount: Amount in euros.
            to: Who gets paid.
        """
        return f"paid {amount} to {to}"

    assert isinstance(pay, Tool)
    assert (pay.name, pay.description, pay.timeout, pay.is_async) == (
        "pay_bill",
        "Pay a bill.",
        5,
        True,
    )
    assert pay.approval is needs_approval
    function = pay.schema()["function"]
    assert function["name"] == "pay_bill"
    assert function["parameters"]["properties"]["to"]["description"] == "Who gets paid."
    assert run(pay, {"amount": 3, "to": "Ann"}).content == "paid 3.0 to Ann"
    assert tool(approval="always")(add.function).approval == "always"


def test_the_decorated_tool_can_still_be_called_directly() -> None:
    assert add(1, 2) == 3


@pytest.mark.parametrize("name", ["pay bill", "", "x" * 65, "pay.bill", "päy"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not allowed"):
        tool(name=name)(add.function)


def test_name_rule_accepts_openai_names() -> None:
    assert tool(name="a-B_9" + "x" * 59)(add.function).name == "a-B_9" + "x" * 59


def test_a_docstring_or_description_is_required() -> None:
    def bare(x: int) -> int:
        return x

    with pytest.raises(ConfigurationError, match="no docstring"):
        tool(bare)
    assert tool(description="Return x.")(bare).description == "Return x."


def test_every_parameter_needs_a_type_hint() -> None:
    def untyped(x: int, y):  # type: ignore[no-untyped-def]
        """Add."""
        return x + y

    with pytest.raises(ConfigurationError, match="parameter 'y' has no type hint"):
        tool(untyped)


def test_signatures_that_cannot_be_described_are_refused() -> None:
    def star(*values: int) -> int:
        """Sum."""
        return sum(values)

    def reserved(callbacks: list[str]) -> str:
        """Uses a name langchain-core reserves."""
        return ",".join(callbacks)

    def generator(n: int) -> Any:
        """Count."""
        yield from range(n)

    with pytest.raises(ConfigurationError, match=r"\*values"):
        tool(star)
    with pytest.raises(ConfigurationError, match="'callbacks'"):
        tool(reserved)
    with pytest.raises(ConfigurationError, match="generator"):
        tool(generator)
    with pytest.raises(ConfigurationError, match="name='add'"):
        tool("add")  # type: ignore[call-overload]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        tool(timeout=0)(add.function)
    with pytest.raises(ConfigurationError, match="timeout"):
        tool(timeout=math.inf)(add.function)
    with pytest.raises(ConfigurationError, match="approval"):
        tool(approval="sometimes")(add.function)  # type: ignore[arg-type]


# --- validation ---------------------------------------------------------------------------


def test_validate_coerces_and_keeps_the_given_arguments() -> None:
    assert add.validate({"a": "1.5", "b": 2}) == {"a": 1.5, "b": 2.0}
    assert search.validate({"query": "tea"}) == {"query": "tea"}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"a": "two", "b": 3}, "argument 'a': Input should be a valid number"),
        ({"a": "two", "b": 3}, "(got 'two')"),
        ({"a": 1}, "missing required argument 'b'"),
        ({"a": 1, "b": 2, "c": 3}, "unknown argument 'c' (known arguments: a, b)"),
    ],
)
def test_invalid_arguments_become_readable_error_outcomes(
    arguments: dict[str, Any], expected: str
) -> None:
    outcome = run(add, arguments)
    assert outcome.is_error
    assert outcome.content.startswith("Error: invalid arguments: ")
    assert expected in outcome.content
    assert isinstance(outcome.value, ToolArgumentsError)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        search.validate({"limit": "many", "mode": "slow", "extra": 1})
    problems = caught.value.problems
    assert len(problems) == 4
    assert str(caught.value).startswith("invalid arguments for tool 'search': ")
    text = "; ".join(problems)
    for part in ("unknown argument 'extra'", "missing required argument 'query'", "'limit'"):
        assert part in text
    assert "Input should be 'fast' or 'exact'" in text
    assert isinstance(caught.value, AgentSDKError) and isinstance(caught.value, ValueError)


def test_arguments_must_be_an_object() -> None:
    outcome = run(add, ["a", "b"])  # type: ignore[arg-type]
    assert outcome.is_error and "expected an object of arguments, got list" in outcome.content


# --- running ------------------------------------------------------------------------------


def test_sync_and_async_tools_run() -> None:
    outcome = run(add, {"a": 1, "b": 2})
    assert outcome == ToolOutcome("3.0", False, 3.0, outcome.seconds)
    assert outcome.seconds >= 0
    assert run(async_sleepy, {"seconds": 0}).content == "slept"
    assert async_sleepy.is_async and not sleepy.is_async


def test_sync_tools_run_in_parallel_threads() -> None:
    async def both() -> list[ToolOutcome]:
        return list(
            await asyncio.gather(sleepy.run({"seconds": 0.3}), sleepy.run({"seconds": 0.3}))
        )

    began = time.perf_counter()
    outcomes = asyncio.run(both())
    assert time.perf_counter() - began < 0.5
    assert [o.content for o in outcomes] == ["slept", "slept"]


def test_exceptions_become_error_outcomes() -> None:
    outcome = run(explode, {"message": "the tool broke"})
    assert outcome.is_error
    assert outcome.content == "Error: RuntimeError: the tool broke"
    assert isinstance(outcome.value, RuntimeError)


def test_a_timeout_becomes_an_error_outcome() -> None:
    limited = tool(timeout=0.1)(async_sleepy.function)
    began = time.perf_counter()
    outcome = run(limited, {"seconds": 5})
    assert time.perf_counter() - began < 1
    assert outcome.is_error and outcome.content == "Error: timed out after 0.1 s"
    assert isinstance(outcome.value, TimeoutError)


def test_a_timeout_error_raised_by_the_tool_is_not_mistaken_for_ours() -> None:
    @tool(timeout=10)
    def fetch(url: str) -> str:
        """Fetch a page.

        Args:
            url: The address.
        """
        raise TimeoutError(f"{url} did not answer")

    outcome = run(fetch, {"url": "x"})
    assert outcome.content == "Error: TimeoutError: x did not answer"


def test_cancellation_propagates() -> None:
    async def main() -> None:
        task = asyncio.create_task(async_sleepy.run({"seconds": 5}))
        await asyncio.sleep(0.05)
        task.cancel()
        await task

    began = time.perf_counter()
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())
    assert time.perf_counter() - began < 1


def test_return_values_become_text() -> None:
    @tool
    def give(kind: str) -> Any:
        """Return a value of some kind.

        Args:
            kind: Which value.
        """
        values: dict[str, Any] = {
            "str": "plain text",
            "dict": {"total": 25.45, "café": True},
            "none": None,
            "dataclass": Point(1, 2),
            "pydantic": Reading(value=1.5, unit="kg"),
            "nan": math.nan,
            "opaque": Opaque(),
        }
        return values[kind]

    def content(kind: str) -> str:
        return run(give, {"kind": kind}).content

    assert content("str") == "plain text"
    assert json.loads(content("dict")) == {"total": 25.45, "café": True}
    assert "café" in content("dict")  # not escaped
    assert content("none") == "null"
    assert json.loads(content("dataclass")) == {"x": 1, "y": 2}
    assert json.loads(content("pydantic")) == {"value": 1.5, "unit": "kg"}
    assert content("nan") == "nan"
    assert content("opaque") == "<opaque thing>"
    assert isinstance(run(give, {"kind": "opaque"}).value, Opaque)


def test_run_sync_outside_and_inside_an_event_loop() -> None:
    assert add.run_sync({"a": 2, "b": 2}).content == "4.0"

    async def inside() -> None:
        add.run_sync({"a": 2, "b": 2})

    with pytest.raises(ConfigurationError, match=r"await tool\.run"):
        asyncio.run(inside())


# --- as_tool, langchain tools, tools_by_name -----------------------------------------------


@langchain_tool(parse_docstring=True)
def lc_multiply(a: int, b: int) -> int:
    """Multiply two integers.

    Args:
        a: The first factor.
        b: The second factor.
    """
    return a * b


@langchain_tool
async def lc_greet(name: str) -> str:
    """Greet someone by name."""
    return f"Hello, {name}!"


class LookupInput(BaseModel):
    key: str = Field(description="The key to look up.")


class Lookup(BaseTool):
    name: str = "lookup"
    description: str = "Look a key up in a small table."
    args_schema: type[BaseModel] = LookupInput

    def _run(self, key: str) -> str:
        table = {"pi": "3.14159"}
        if key not in table:
            raise KeyError(f"no entry for {key!r}")
        return table[key]


def test_as_tool_returns_tools_as_they_are_and_wraps_functions() -> None:
    assert as_tool(add) is add

    def halve(x: float) -> float:
        """Halve a number.

        Args:
            x: The number.
        """
        return x / 2

    halved = as_tool(halve)
    assert halved.name == "halve" and run(halved, {"x": 3}).content == "1.5"


def test_a_langchain_tool_decorated_function_works_as_it_is() -> None:
    wrapped = as_tool(lc_multiply)
    assert wrapped.schema() == {
        "type": "function",
        "function": {
            "name": "lc_multiply",
            "description": "Multiply two integers.",
            "parameters": {
                "type": "object",
                "properties": {
                    "a": {"type": "integer", "description": "The first factor."},
                    "b": {"type": "integer", "description": "The second factor."},
                },
                "required": ["a", "b"],
            },
        },
    }
    assert not wrapped.is_async
    assert run(wrapped, {"a": 6, "b": "7"}).content == "42"
    bad = run(wrapped, {"a": 6, "c": 7})
    assert bad.is_error and "unknown argument 'c'" in bad.content and "'b'" in bad.content

    greet = as_tool(lc_greet)
    assert greet.is_async
    assert run(greet, {"name": "Ann"}).content == "Hello, Ann!"


def test_a_base_tool_subclass_works_as_it_is() -> None:
    wrapped = as_tool(Lookup())
    function = wrapped.schema()["function"]
    assert (function["name"], function["description"]) == (
        "lookup",
        "Look a key up in a small table.",
    )
    assert function["parameters"]["properties"]["key"]["description"] == "The key to look up."
    assert run(wrapped, {"key": "pi"}).content == "3.14159"
    failed = run(wrapped, {"key": "tau"})
    assert failed.is_error and failed.content == "Error: KeyError: \"no entry for 'tau'\""
    assert run(wrapped, {}).content == "Error: invalid arguments: missing required argument 'key'"


def test_langchain_single_input_and_json_schema_tools_work() -> None:
    upper = as_tool(LangchainTool(name="upper", func=str.upper, description="Upper-case."))
    assert list(upper.parameters["properties"]) == ["__arg1"]
    assert run(upper, {"__arg1": "abc"}).content == "ABC"
    assert "unknown argument 'text'" in run(upper, {"text": "abc"}).content

    echo = as_tool(
        StructuredTool(
            name="echo",
            description="Echo a text.",
            args_schema={
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
            },
            func=lambda text: text,
        )
    )
    assert echo.args_schema is None
    assert run(echo, {"text": "hi"}).content == "hi"
    assert run(echo, {}).content == "Error: invalid arguments: missing required argument 'text'"


def test_as_tool_refuses_other_objects() -> None:
    with pytest.raises(ConfigurationError, match="cannot use int as a tool"):
        as_tool(3)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        as_tool(Lookup)  # a class, not an instance


def test_tools_by_name_rejects_duplicates() -> None:
    found = tools_by_name([add, search, lc_multiply])
    assert list(found) == ["add", "search", "lc_multiply"]
    assert all(isinstance(t, Tool) for t in found.values())
    assert len({add, add, search}) == 2  # hashable, compared by identity
    with pytest.raises(ConfigurationError, match="two tools are named 'add'"):
        tools_by_name([add, tool(name="add")(search.function)])


def test_call_templates_ride_in_the_schema() -> None:
    half = CallTemplate({"a": "{value}", "b": "{count}"}, ("Add the price and the count.",))

    @tool(templates=[half])
    def plus(a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    assert plus.templates == (half,)
    assert plus.schema()["function"]["x-agentsdk-templates"] == [
        {
            "arguments": {"a": "{value}", "b": "{count}"},
            "examples": ["Add the price and the count."],
            "reads": False,
        }
    ]
    assert "x-agentsdk-templates" not in add.schema()["function"]


@pytest.mark.parametrize(
    ("arguments", "examples", "message"),
    [
        ({}, ("x",), "mapping of arguments"),
        ({"a": "{value}"}, (), "tuple of example requests"),
        ({"a": "{value}"}, "an example", "tuple of example requests"),
        ({"a": "{value}"}, ("",), "non-empty strings"),
    ],
)
def test_a_bad_call_template_is_refused(
    arguments: dict[str, Any], examples: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        CallTemplate(arguments, examples)


def test_a_template_must_name_the_tools_own_arguments() -> None:
    stray = CallTemplate({"c": "{value}"}, ("Use c.",))
    with pytest.raises(ConfigurationError, match="unknown arguments"):
        dataclasses.replace(add, templates=(stray,))
    with pytest.raises(ConfigurationError, match="CallTemplate objects"):
        dataclasses.replace(add, templates=({"a": "{value}"},))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_invalid_arguments(bad: float) -> None:
    with pytest.raises(ToolArgumentsError, match="numbers must be finite"):
        add.validate({"a": bad, "b": 1})
    loose = Tool(
        name="loose",
        description="Takes anything.",
        parameters={"type": "object", "properties": {"data": {}}},
        function=lambda data: data,
    )
    with pytest.raises(ToolArgumentsError, match=r"argument 'data'.x\[1\]"):
        loose.validate({"data": {"x": [1.0, bad]}})
    assert loose.validate({"data": {"x": [1.0, 2.5]}}) == {"data": {"x": [1.0, 2.5]}}


def test_a_tool_keeps_its_functions_signature_for_type_checkers(tmp_path: Path) -> None:
    module = tmp_path / "typed_tools.py"
    module.write_text(
        textwrap.dedent(
            '''
            from agentsdk import tool

            @tool
            def add(a: int, b: int) -> int:
                """Add two numbers.

                Args:
                    a: The first.
                    b: The second.
                """
                return a + b

            @tool(approval="always")
            async def pay(amount: float, to: str) -> str:
                """Pay someone.

                Args:
                    amount: How much.
                    to: Who.
                """
                return to

            total: int = add(1, 2)
            reveal_type(add)
            reveal_type(pay)
            add("one", 2)
            '''
        )
    )
    root = Path(__file__).resolve().parent.parent
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "MYPYPATH": str(root)},
    )
    out = checked.stdout
    assert "Tool[[a: int, b: int], int]" in out, out
    assert "Tool[[amount: float, to: str], typing.Coroutine[Any, Any, str]]" in out, out
    assert 'Argument 1 to "__call__" of "Tool" has incompatible type "str"' in out, out
    assert out.count("error:") == 1, out  # the wrong call only: the rest is typed


def test_the_shared_schema_is_made_once_and_schema_gives_a_copy() -> None:
    @tool
    def pay(amount: float) -> str:
        """Pay an amount."""
        return "paid"

    shared = pay.shared_schema()
    assert shared is pay.shared_schema() and shared == pay.schema()
    copy = pay.schema()
    copy["function"]["parameters"]["properties"].clear()
    assert pay.schema() == shared and "amount" in shared["function"]["parameters"]["properties"]
    renamed = dataclasses.replace(pay, name="settle")
    assert renamed.shared_schema()["function"]["name"] == "settle"

"""Tools: Python functions a model may call, with a JSON schema and safe execution.

`@tool` turns a typed, documented function into a `Tool`: its name, description and
JSON schema (from the type hints and the Google-style docstring, built by langchain-core)
plus how to run it. `Tool.run(arguments)` validates the arguments, runs the function
(sync functions in a worker thread, so several tools can run at once), applies the
timeout and never raises for a tool's failure: it returns a `ToolOutcome` whose
`content` is the text the model reads next.

`as_tool` also accepts langchain-core tools (`langchain_core.tools.tool`, `BaseTool`
subclasses) and uses them as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import dataclasses
import inspect
import json
import math
import re
import sys
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    ParamSpec,
    TypeAlias,
    TypeGuard,
    TypeVar,
    overload,
)

import pydantic

from agentsdk.codec import Serialisable
from agentsdk.errors import ConfigurationError, ToolArgumentsError
from agentsdk.hitl.policies import Approval, check_approval
from agentsdk.messages import ToolCall
from agentsdk.models.extractive import TEMPLATES_KEY

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool, StructuredTool

# langchain-core (and the langsmith it pulls in) takes about a second to import, so it is
# imported when the first tool is made, not with agentsdk.


def convert_to_openai_tool(tool: Any) -> dict[str, Any]:
    from langchain_core.utils.function_calling import convert_to_openai_tool as convert

    return convert(tool)


def _is_langchain_tool(obj: object) -> TypeGuard[BaseTool]:
    """isinstance(obj, BaseTool), without importing langchain-core to find out."""
    module = sys.modules.get("langchain_core.tools")
    return module is not None and isinstance(obj, module.BaseTool)


__all__ = [
    "Approval",
    "CallTemplate",
    "Check",
    "Tool",
    "ToolArgumentsError",
    "ToolLike",
    "ToolOutcome",
    "as_tool",
    "current_call",
    "running_call",
    "tool",
    "tools_by_name",
]

P = ParamSpec("P")
R = TypeVar("R")

Check: TypeAlias = Callable[[ToolCall], "bool | str | None"]
"""How a tool finds out whether a call's effect happened, when the process stopped while
the call ran: True (or the result's text) - it happened, do not run it again; False - it
did not, run it; None - cannot tell, ask a person. It gets the call as it was started
(its `id` is the idempotency key the tool saw through `current_call()`)."""

_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_MAX_SHOWN_INPUT = 80


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What running a tool gave: the text for the model, and the raw value or error."""

    content: str
    """The text the model reads: the result (str as is, else JSON) or "Error: ..."."""
    is_error: bool
    """True when the arguments were invalid, the tool raised or it timed out."""
    value: Any
    """The function's return value; on error, the exception (`ToolArgumentsError`,
    `TimeoutError` or what the tool raised)."""
    seconds: float
    """Wall time spent, validation included."""


@dataclass(frozen=True, slots=True)
class CallTemplate(Serialisable):
    """A shape of call the tool takes, for small local models that choose rather than
    write (`agentsdk.models.extractive`): argument values with slots, and example
    requests it answers.

    Slots in string values: `{value}` a number read from the sources (the best-ranked
    first, then the next), `{count}` a number from the request, `{values:SEP}` all the
    numbers listed like the best one, joined by SEP, `{total}` the document's total
    (the stated total, else the sum of the listed amounts). Examples must be generic
    requests, never your evaluation data.

    >>> CallTemplate({"expression": "{value} / {count}"}, ("Split the bill 4 ways.",))
    >>> CallTemplate({"amount": "{total}"}, ("Reimburse this receipt.",))
    """

    arguments: Mapping[str, Any]
    examples: tuple[str, ...]
    reads: bool = False
    """The call only restates the one value read (the calculator's "{value}"): when it
    is chosen, that value is the answer and the tool is not called."""

    def __post_init__(self) -> None:
        if not isinstance(self.arguments, Mapping) or not self.arguments:
            raise ConfigurationError("a CallTemplate needs a mapping of arguments")
        if isinstance(self.examples, str) or not self.examples:
            raise ConfigurationError("a CallTemplate needs a tuple of example requests")
        if not all(isinstance(e, str) and e.strip() for e in self.examples):
            raise ConfigurationError("CallTemplate examples must be non-empty strings")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Tool(Generic[P, R]):
    """A callable the model may use: name, description, JSON schema and how to run it.

    Make one with `@tool` or `as_tool`. Calling the tool object calls the function
    directly (no validation, no timeout), with the function's own signature: type
    checkers see `Tool[P, R]` as the function it wraps.
    """

    name: str
    """Unique name the model calls it by; matches ^[a-zA-Z0-9_-]{1,64}$."""
    description: str
    """What the tool does, for the model."""
    parameters: dict[str, Any]
    """JSON schema (an object) of the arguments."""
    function: Callable[P, R] = field(repr=False)
    """Called with the validated arguments as keywords."""
    args_schema: type[pydantic.BaseModel] | None = field(default=None, repr=False)
    """Pydantic model the arguments are validated with; None checks names only."""
    approval: Approval = "never"
    """Whether a person must approve each call (enforced by the agent, not here)."""
    timeout: float | None = None
    """Seconds a call may take; None waits for ever."""
    is_async: bool = False
    """True when `function` is a coroutine function; sync ones run in a worker thread."""
    templates: tuple[CallTemplate, ...] = ()
    """Shapes of call a grounded local model may choose from instead of writing the
    arguments (see `CallTemplate`); ignored by other models."""
    check: Check | None = field(default=None, repr=False)
    """How to tell whether a call that was running when the process stopped had its
    effect (see `Check`); None: a person is asked."""
    _schema: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.description, str) or not self.description.strip():
            raise ConfigurationError(f"tool {self.name!r} needs a non-empty description")
        check_approval(self.approval, f"tool {self.name!r}")
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, int | float)
            or not math.isfinite(self.timeout)
            or self.timeout <= 0
        ):
            raise ConfigurationError(
                f"tool {self.name!r}: timeout must be a positive number of seconds or None, "
                f"not {self.timeout!r}"
            )
        if not callable(self.function):
            raise ConfigurationError(f"tool {self.name!r}: function must be callable")
        if self.check is not None and not callable(self.check):
            raise ConfigurationError(f"tool {self.name!r}: check must be a function of the call")
        for template in self.templates:
            if not isinstance(template, CallTemplate):
                raise ConfigurationError(
                    f"tool {self.name!r}: templates must be CallTemplate objects"
                )
            unknown = set(template.arguments) - set(self.parameters.get("properties") or {})
            if unknown:
                raise ConfigurationError(
                    f"tool {self.name!r}: a template names unknown arguments {sorted(unknown)}"
                )
        function: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": copy.deepcopy(self.parameters),
        }
        if self.templates:
            function[TEMPLATES_KEY] = [t.to_dict() for t in self.templates]
        object.__setattr__(self, "_schema", {"type": "function", "function": function})

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.function(*args, **kwargs)

    def schema(self) -> dict[str, Any]:
        """The OpenAI tool format: {"type": "function", "function": {name, description,
        parameters}}; a fresh copy each call. Call templates, if any, ride along under
        `TEMPLATES_KEY`, which remote models strip."""
        return copy.deepcopy(self._schema)

    def shared_schema(self) -> Mapping[str, Any]:
        """`schema()` made once, when the tool was: not copied, so read it and never
        change it (the agent hands it to the model on every turn)."""
        return self._schema

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check and coerce arguments; the ones given, validated, by name.

        Raises `ToolArgumentsError` naming every missing, unknown or invalid argument.
        """
        if not isinstance(arguments, Mapping):
            raise _arguments_error(
                self.name, [f"expected an object of arguments, got {type(arguments).__name__}"]
            )
        properties: Mapping[str, Any] = self.parameters.get("properties") or {}
        problems = [
            f"unknown argument {key!r} (known arguments: {', '.join(properties) or 'none'})"
            for key in arguments
            if key not in properties
        ]
        problems += [
            f"argument {path} is {value!r}: numbers must be finite"
            for path, value in _non_finite(arguments)
        ]
        if self.args_schema is None:
            problems += [
                f"missing required argument {key!r}"
                for key in self.parameters.get("required") or ()
                if key not in arguments
            ]
            if problems:
                raise _arguments_error(self.name, problems)
            return dict(arguments)
        known = {key: value for key, value in arguments.items() if key in properties}
        try:
            model = self.args_schema.model_validate(known)
        except pydantic.ValidationError as exc:
            problems += [_describe_error(error) for error in exc.errors(include_url=False)]
            raise _arguments_error(self.name, problems) from None
        if problems:
            raise _arguments_error(self.name, problems)
        fields = type(model).model_fields
        return {
            (fields[key].alias or key) if key in fields else key: getattr(model, key)
            for key in model.model_fields_set
        }

    async def run(
        self, arguments: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> ToolOutcome:
        """Validate, run with the timeout, and report; tool failures never raise.

        The timeout is the tool's own, else `timeout` (the agent passes its
        `limits.tool_timeout`), else none. Cancelling the task that awaits this cancels
        the call (a sync function's thread runs on to its end, as threads cannot be
        stopped).
        """
        limit = self.timeout if self.timeout is not None else timeout
        start = time.perf_counter()

        def outcome(content: str, is_error: bool, value: Any) -> ToolOutcome:
            return ToolOutcome(content, is_error, value, time.perf_counter() - start)

        try:
            validated = self.validate({} if arguments is None else arguments)
        except ToolArgumentsError as exc:
            detail = "; ".join(exc.problems) or str(exc)
            return outcome(f"Error: invalid arguments: {detail}", True, exc)
        try:
            async with asyncio.timeout(limit):  # no task of its own, unlike wait_for
                ok, value = await self._execute(validated)
        except TimeoutError as exc:
            return outcome(f"Error: timed out after {limit:g} s", True, exc)
        if not ok:
            message = str(value).strip()
            kind = type(value).__name__
            return outcome(
                f"Error: {kind}: {message}" if message else f"Error: {kind}", True, value
            )
        return outcome(_to_content(value), False, value)

    def run_sync(self, arguments: Mapping[str, Any] | None = None) -> ToolOutcome:
        """`run` for code without an event loop; inside one, use `await tool.run(...)`."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.run(arguments))
        raise ConfigurationError(
            f"Tool.run_sync() was called for {self.name!r} inside a running event loop; "
            "use `await tool.run(arguments)` there"
        )

    async def _execute(self, validated: dict[str, Any]) -> tuple[bool, Any]:
        # Exceptions are returned, not raised, so that a TimeoutError raised by the
        # tool itself is never mistaken for our timeout.
        function: Callable[..., Any] = self.function
        try:
            if self.is_async:
                value = await function(**validated)
            else:
                value = await asyncio.to_thread(function, **validated)
        except Exception as exc:
            return False, exc
        return True, value


ToolLike: TypeAlias = "Tool[..., Any] | BaseTool | Callable[..., Any]"
"""What `as_tool` accepts: a `Tool`, a typed documented function, or a langchain tool."""


@overload
def tool(function: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    approval: Approval = "never",
    timeout: float | None = None,
    templates: Sequence[CallTemplate] = (),
    check: Check | None = None,
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    approval: Approval = "never",
    timeout: float | None = None,
    templates: Sequence[CallTemplate] = (),
    check: Check | None = None,
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make a `Tool` from a function with type hints and a docstring.

    Use it bare (`@tool`) or with options (`@tool(approval="always", timeout=5)`).
    The docstring's summary becomes the description (unless `description` is given)
    and its Google-style `Args:` section the parameters' descriptions. `check` tells,
    after a crash mid-call, whether the call's effect happened (see `Check`).
    """
    if isinstance(function, str):
        raise ConfigurationError(f"use @tool(name={function!r}) to name a tool")

    def decorate(fn: Callable[P, R]) -> Tool[P, R]:
        made = _function_tool(
            fn, name=name, description=description, approval=approval, timeout=timeout
        )
        if templates or check is not None:
            return dataclasses.replace(made, templates=tuple(templates), check=check)
        return made

    return decorate if function is None else decorate(function)


_running: contextvars.ContextVar[ToolCall | None] = contextvars.ContextVar(
    "agentsdk_running_call", default=None
)


def current_call() -> ToolCall:
    """The call the agent is running now, from inside a tool: its `id` is unique and
    stays the same if the run resumes after a crash, so a tool can pass it on as an
    idempotency key (a payment API's, a database's unique constraint) and a `check` can
    look for it."""
    call = _running.get()
    if call is None:
        raise ConfigurationError("current_call() is only known inside a tool the agent runs")
    return call


@contextlib.contextmanager
def running_call(call: ToolCall) -> Iterator[None]:
    """Make `call` what `current_call()` returns within the block (the agent's runner)."""
    token = _running.set(call)
    try:
        yield
    finally:
        _running.reset(token)


def as_tool(obj: ToolLike) -> Tool[..., Any]:
    """A `Tool` from a `Tool` (as is), a function (as `@tool` would) or a langchain tool."""
    if isinstance(obj, Tool):
        return obj
    if _is_langchain_tool(obj):
        return _langchain_tool(obj)
    if callable(obj) and not isinstance(obj, type):
        return _function_tool(obj)
    raise ConfigurationError(
        f"cannot use {type(obj).__name__} as a tool: pass a function with type hints and "
        "a docstring, a Tool or a langchain-core BaseTool"
    )


def tools_by_name(tools: Iterable[ToolLike]) -> dict[str, Tool[..., Any]]:
    """Tools by name (each through `as_tool`); duplicate names are refused."""
    if isinstance(tools, str | bytes | Mapping):
        raise ConfigurationError("tools must be a list of tools")
    found: dict[str, Tool[..., Any]] = {}
    for item in tools:
        made = as_tool(item)
        if made.name in found:
            raise ConfigurationError(
                f"two tools are named {made.name!r}; tool names must be unique "
                "(rename one with @tool(name=...))"
            )
        found[made.name] = made
    return found


def _function_tool(
    fn: Callable[P, R],
    *,
    name: str | None = None,
    description: str | None = None,
    approval: Approval = "never",
    timeout: float | None = None,
) -> Tool[P, R]:
    if not callable(fn):
        raise ConfigurationError(f"@tool needs a function, not {type(fn).__name__}")
    name = name if name is not None else getattr(fn, "__name__", None)
    if name is None:
        raise ConfigurationError(f"{fn!r} has no __name__; pass @tool(name=...)")
    _check_name(name)
    # A callable object is described by its __call__ method.
    target = fn if inspect.isroutine(fn) else getattr(fn, "__call__", fn)  # noqa: B004
    if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
        raise ConfigurationError(f"tool {name!r}: generator functions cannot be tools")
    docstring = inspect.getdoc(target)
    if description is None and not (docstring and docstring.strip()):
        raise ConfigurationError(
            f"tool {name!r} has no docstring: write one saying what it does (the model "
            "reads it), or pass @tool(description=...)"
        )
    _check_signature(target, name)
    is_async = inspect.iscoroutinefunction(target)
    structured = _structured_tool(target, name, description, is_async)
    openai = convert_to_openai_tool(structured)["function"]
    parameters: dict[str, Any] = openai.get("parameters") or {"type": "object", "properties": {}}
    described = str(openai.get("description") or "").strip()
    if not described:
        raise ConfigurationError(
            f"tool {name!r}: its docstring has no summary before 'Args:'; add one, or pass "
            "@tool(description=...)"
        )
    properties = parameters.get("properties") or {}
    for parameter in inspect.signature(target).parameters:
        if parameter not in properties:
            raise ConfigurationError(
                f"tool {name!r}: parameter {parameter!r} was left out of the schema by "
                "langchain-core (a reserved name such as 'callbacks' or 'run_manager', or an "
                "injected type); rename it"
            )
    schema = structured.args_schema
    args_schema: type[pydantic.BaseModel] | None = None
    if isinstance(schema, type) and issubclass(schema, pydantic.BaseModel):
        args_schema = schema
    return Tool(
        name=str(openai["name"]),
        description=described,
        parameters=parameters,
        function=fn,
        args_schema=args_schema,
        approval=approval,
        timeout=timeout,
        is_async=is_async,
    )


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigurationError(
            f"tool name {name!r} is not allowed: use 1 to 64 letters, digits, '_' or '-' "
            "(rename it, e.g. with @tool(name=...))"
        )


def _check_signature(fn: Callable[..., Any], name: str) -> None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"tool {name!r}: cannot read its signature: {exc}") from exc
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:
        raise ConfigurationError(
            f"tool {name!r}: cannot resolve its type hints ({type(exc).__name__}: {exc}); "
            "types must be importable from the function's module"
        ) from exc
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ConfigurationError(
                f"tool {name!r}: *{parameter.name} / **{parameter.name} parameters cannot be "
                "described to a model; list each parameter"
            )
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise ConfigurationError(
                f"tool {name!r}: parameter {parameter.name!r} is positional-only; tools are "
                "called with keyword arguments"
            )
        if parameter.name not in hints:
            raise ConfigurationError(
                f"tool {name!r}: parameter {parameter.name!r} has no type hint; annotate it "
                f"(e.g. `{parameter.name}: str`) so the model knows what to pass"
            )


def _structured_tool(
    fn: Callable[..., Any], name: str, description: str | None, is_async: bool
) -> StructuredTool:
    from langchain_core.tools import StructuredTool

    callables: dict[str, Any] = {"coroutine": fn} if is_async else {"func": fn}
    try:
        made = StructuredTool.from_function(
            **callables, name=name, description=description, parse_docstring=True
        )
        convert_to_openai_tool(made)
        return made
    except Exception:
        # e.g. parse_docstring refuses Args entries that name no parameter
        pass
    if description is None:
        # The summary, without the Args section langchain-core could not read.
        description = re.split(r"\n\s*\n\s*Args:", inspect.getdoc(fn) or "")[0]
    try:
        made = StructuredTool.from_function(
            **callables, name=name, description=description, parse_docstring=False
        )
        convert_to_openai_tool(made)
    except Exception as exc:
        raise ConfigurationError(
            f"tool {name!r}: cannot build a JSON schema from its signature "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return made


def _langchain_tool(obj: BaseTool) -> Tool[..., Any]:
    from langchain_core.tools import BaseTool

    try:
        openai = convert_to_openai_tool(obj)["function"]
    except Exception as exc:
        raise ConfigurationError(
            f"cannot read the schema of langchain tool {obj.name!r} ({type(exc).__name__}: {exc})"
        ) from exc
    parameters: dict[str, Any] = openai.get("parameters") or {"type": "object", "properties": {}}
    schema = obj.tool_call_schema
    args_schema: type[pydantic.BaseModel] | None = None
    if isinstance(schema, type) and issubclass(schema, pydantic.BaseModel):
        # Trust the pydantic model only where it describes what the model is shown
        # (langchain's single-input `Tool` shows "__arg1" but its model differs).
        names = {info.alias or key for key, info in schema.model_fields.items()}
        if names == set(parameters.get("properties") or {}):
            args_schema = schema
    if hasattr(obj, "coroutine"):  # StructuredTool and langchain's single-input Tool
        is_async = getattr(obj, "coroutine", None) is not None
    else:
        is_async = type(obj)._arun is not BaseTool._arun

    async def run_async(**arguments: Any) -> Any:
        return await obj.ainvoke(arguments)

    def run_sync(**arguments: Any) -> Any:
        return obj.invoke(arguments)

    return Tool(
        name=str(openai["name"]),
        description=str(openai.get("description") or "").strip(),
        parameters=parameters,
        function=run_async if is_async else run_sync,
        args_schema=args_schema,
        is_async=is_async,
    )


def _non_finite(value: Any, path: str = "") -> list[tuple[str, float]]:
    """Every NaN or infinite float inside `value` (nested mappings and lists), with its
    path: such a number compares false with everything, so it would slip past a rule
    like `amount > 100`."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [(path or "value", value)]
    if isinstance(value, Mapping):
        return [
            found
            for key, item in value.items()
            for found in _non_finite(item, f"{path}.{key}" if path else repr(key))
        ]
    if isinstance(value, list | tuple):
        return [
            found for i, item in enumerate(value) for found in _non_finite(item, f"{path}[{i}]")
        ]
    return []


def _arguments_error(name: str, problems: Sequence[str]) -> ToolArgumentsError:
    return ToolArgumentsError(
        f"invalid arguments for tool {name!r}: " + "; ".join(problems), problems=problems
    )


def _describe_error(error: Mapping[str, Any]) -> str:
    loc: tuple[int | str, ...] = tuple(error.get("loc") or ())
    path = str(loc[0]) if loc else ""
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if error.get("type") == "missing":
        kind = "argument" if len(loc) == 1 else "field"
        return f"missing required {kind} {path!r}"
    shown = repr(error.get("input"))
    if len(shown) > _MAX_SHOWN_INPUT:
        shown = shown[: _MAX_SHOWN_INPUT - 3] + "..."
    return f"argument {path!r}: {error.get('msg', 'invalid')} (got {shown})"


def _to_content(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_jsonable)
    except (TypeError, ValueError):
        return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")

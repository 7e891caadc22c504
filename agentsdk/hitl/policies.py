"""Approval rules in one place: what a policy may be, whether a call needs a person, and
the fingerprints that bind a decision to what it decided on.

A tool's approval policy (`Approval`) is "never", "always", or a predicate of the
arguments (one parameter) or of the arguments and an `ApprovalContext` (two).
`check_approval` refuses anything else when a tool or an agent is configured;
`needs_approval` applies a policy and fails closed (a predicate that raises or returns
anything but a bool asks a person); `approval_reason` says why in one sentence.
`call_digest` and `observation_digest` fingerprint what a decision is about;
`policy_fingerprint` fingerprints a tool under its policy, so a run resumed under other
rules is asked again. `agentsdk.hitl.approvals` (interruptions, decisions, evidence) builds
on this module; tools and agents only need it.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from agentsdk.encoders.base import Observation
from agentsdk.errors import ConfigurationError
from agentsdk.messages import ToolCall

__all__ = [
    "Approval",
    "ApprovalContext",
    "approval_reason",
    "call_digest",
    "check_approval",
    "needs_approval",
    "observation_digest",
    "policy_fingerprint",
]

Approval: TypeAlias = Literal["never", "always"] | Callable[..., bool]
"""When a person must approve a call: never, always, or when a predicate returns True.
The predicate takes the arguments (`lambda args: args["amount"] > 100`) or the arguments
and the run's `ApprovalContext` (`lambda args, ctx: ...`)."""


def check_approval(policy: object, where: str) -> None:
    """Refuse a policy that is not "never", "always" or a callable (`where` names it)."""
    if policy not in ("never", "always") and not callable(policy):
        raise ConfigurationError(
            f"{where}: approval must be 'never', 'always' or a function of the arguments "
            f"returning bool, not {policy!r}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalContext:
    """What an approval predicate may look at besides the arguments."""

    tool: str
    run_id: str
    thread_id: str | None
    step: int
    observations: tuple[Observation, ...]
    """Everything the encoders perceived in this run (after corrections)."""


_NP_BOOL = ("bool", "bool_")  # numpy's booleans (named bool_ before numpy 2)


def needs_approval(policy: Any, arguments: Mapping[str, Any], context: ApprovalContext) -> bool:
    """Apply a tool's approval policy: "never", "always", or a predicate of the arguments
    (one parameter) or of the arguments and the `ApprovalContext` (two). A predicate
    that raises or returns anything but a bool fails closed: the call needs a person."""
    if policy == "never":
        return False
    if policy == "always":
        return True
    try:
        wants_context = len(inspect.signature(policy).parameters) >= 2
    except (TypeError, ValueError):
        wants_context = False
    try:
        verdict = policy(arguments, context) if wants_context else policy(arguments)
    except Exception:
        return True  # a predicate that fails cannot clear a call: a person decides
    kind = type(verdict)
    if isinstance(verdict, bool) or (kind.__module__ == "numpy" and kind.__name__ in _NP_BOOL):
        return bool(verdict)
    return True  # not a yes or a no (None, a number, a string): a person decides


def call_digest(call: ToolCall) -> str:
    """A fingerprint of what a tool call does: its tool name and its arguments, as
    canonical JSON (keys sorted), hashed with SHA-256. A decision records the digest of
    the call it answers, so an approval never covers a call changed after it was given."""
    return _digest({"tool": call.name, "arguments": dict(call.arguments)})


def policy_fingerprint(schema: Mapping[str, Any], policy: Any) -> str:
    """A fingerprint of a tool (its schema) under an approval policy ("never", "always",
    or a predicate: its module, name, bytecode, constants, defaults and the plain values
    it closes over). Stable across processes running the same code; a run paused under
    one tool set or policy and resumed under another is asked again."""
    return _digest({"schema": schema, "policy": _callable_identity(policy)})


def _callable_identity(policy: Any) -> Any:
    if isinstance(policy, str):
        return policy
    function = getattr(policy, "func", policy)  # functools.partial
    code = getattr(function, "__code__", None)
    if code is None:  # a callable object: its class's call method
        method = vars(type(function)).get("__call__")
        code = getattr(method, "__code__", None)
    return {
        "name": f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}",
        "type": type(policy).__qualname__,
        "code": None if code is None else _code_identity(code),
        "defaults": _plain(getattr(function, "__defaults__", None)),
        "bound": [
            _plain(tuple(getattr(policy, "args", ()))),
            {str(k): _plain(v) for k, v in (getattr(policy, "keywords", None) or {}).items()},
        ],
        "closure": [
            _plain(cell.cell_contents) for cell in getattr(function, "__closure__", None) or ()
        ],
    }


def _code_identity(code: Any) -> Any:
    """Bytecode and constants (nested code objects by their own identity, never their
    repr, which holds a memory address)."""
    return {
        "bytes": code.co_code.hex(),
        "consts": [
            _code_identity(c) if hasattr(c, "co_code") else _plain(c) for c in code.co_consts
        ],
        "names": list(code.co_names),
    }


def _plain(value: Any) -> Any:
    """Immutable plain data (numbers, strings, tuples of them) as itself, anything else
    by its type name: an address or a list the predicate appends to must not count."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return f"<{type(value).__qualname__}>"


def observation_digest(observation: Observation) -> str:
    return _digest(
        {"encoder": observation.encoder, "part": observation.part_id, "text": observation.text}
    )


def _digest(value: Any) -> str:
    canonical = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def approval_reason(
    policy: Any, tool: str, arguments: Mapping[str, Any], context: ApprovalContext
) -> str | None:
    """Why a call of `tool` needs a person under `policy`, in one sentence; None when
    it does not."""
    if not needs_approval(policy, arguments, context):
        return None
    if policy == "always":
        return f"tool {tool!r} always needs a person's approval"
    return f"the approval rule of tool {tool!r} holds for these arguments"

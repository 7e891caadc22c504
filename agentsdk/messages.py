"""Messages and the non-media parts they carry.

A `Message` is what a chat model reads and writes: a role, text content, and for the
assistant the tool calls it made, for a tool the id of the call it answers. Media parts
(`Image`, `Audio`) live in `agentsdk.media`; the agent turns them into text observations,
and with native perception also attaches them to the user message (`Message.media`) for
models that read pixels and sound.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, get_args

from agentsdk.errors import ConfigurationError
from agentsdk.media import MediaPart, media_from_dict, media_to_dict

__all__ = [
    "Message",
    "Part",
    "Role",
    "Text",
    "ToolCall",
    "ToolResult",
    "as_messages",
    "new_call_id",
]

Role = Literal["system", "user", "assistant", "tool"]
_ROLES: frozenset[str] = frozenset(get_args(Role))


def new_call_id() -> str:
    """A fresh, random tool-call id ("call_" and 16 hex digits)."""
    return f"call_{os.urandom(8).hex()}"


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of user text, as a part beside images and audio."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A model's request to run one tool with arguments."""

    name: str
    """The tool's name."""
    arguments: Mapping[str, Any] = field(default_factory=dict)
    """Arguments by parameter name, already parsed from JSON."""
    id: str = field(default_factory=new_call_id)
    """Unique id; the tool's result refers to it (and idempotency relies on it)."""
    malformed: str | None = None
    """Why the model's call could not be read (arguments that are not a JSON object, no
    tool name). Such a call never runs; the model reads this as the tool's error."""

    def __post_init__(self) -> None:
        """Arguments as a string holding a JSON object (as OpenAI-style servers send them)
        are parsed; anything else that is not a JSON object of bounded depth and size
        (a list, None, a number, values JSON cannot hold) makes the call malformed, with
        empty arguments: it never runs, and the model reads why."""
        if self.malformed is not None:
            return
        arguments, problem = _json_object(self.arguments)
        object.__setattr__(self, "arguments", arguments)
        if problem is not None:
            object.__setattr__(self, "malformed", problem)

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI chat format, as chat templates expect it."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": dict(self.arguments)},
        }
        if self.malformed is not None:
            data["malformed"] = self.malformed
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        """Read the OpenAI chat format (arguments as an object or a JSON string; anything
        else makes the call malformed)."""
        function = data.get("function", data)
        malformed = data.get("malformed")
        return cls(
            name=str(function["name"]),
            arguments=function.get("arguments", {}),
            id=str(data.get("id") or new_call_id()),
            malformed=None if malformed is None else str(malformed),
        )


MAX_ARGUMENT_DEPTH = 32
"""Deepest nesting of lists and objects accepted in a tool call's arguments."""
MAX_ARGUMENT_CHARS = 1_000_000
"""Longest tool-call arguments accepted, as JSON text."""


def _json_object(arguments: Any) -> tuple[Mapping[str, Any], str | None]:
    """`arguments` as a JSON object, or empty arguments and why they cannot be one."""
    if isinstance(arguments, str | bytes):
        if len(arguments) > MAX_ARGUMENT_CHARS:
            return {}, f"its arguments are over {MAX_ARGUMENT_CHARS:,} characters"
        text = arguments.decode(errors="replace") if isinstance(arguments, bytes) else arguments
        if not text.strip():
            return {}, None
        try:
            arguments = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            return {}, f"its arguments are not valid JSON ({exc})"
    if not isinstance(arguments, Mapping):
        return {}, f"its arguments are {type(arguments).__name__}, not a JSON object"
    arguments = dict(arguments)
    if _flat_and_small(arguments):  # the common case, checked without serialising
        return arguments, None
    if _depth(arguments) > MAX_ARGUMENT_DEPTH:
        return {}, f"its arguments are nested more than {MAX_ARGUMENT_DEPTH} levels deep"
    try:
        size = len(json.dumps(arguments, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        return {}, f"its arguments cannot be written as JSON ({exc})"
    if size > MAX_ARGUMENT_CHARS:
        return {}, f"its arguments are over {MAX_ARGUMENT_CHARS:,} characters"
    if not all(isinstance(key, str) for key in arguments):
        return {}, "its argument names are not all strings"
    return arguments, None


_SCALARS = (str, int, float, bool, type(None))


def _flat_and_small(arguments: dict[Any, Any]) -> bool:
    """Names that are strings and values that are plain scalars, short enough together."""
    size = 0
    for key, value in arguments.items():
        if type(key) is not str or type(value) not in _SCALARS:
            return False
        size += len(key) + (len(value) if type(value) is str else 24)
    return size <= MAX_ARGUMENT_CHARS // 2


def _depth(value: Any) -> int:
    """How deep lists and objects nest in `value` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_ARGUMENT_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


Part: TypeAlias = Text | MediaPart
"""What a user's input is made of: text and media parts."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What running a tool returned, addressed to the call that asked for it."""

    call_id: str
    name: str
    content: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    """Calls the assistant made in this message."""
    tool_call_id: str | None = None
    """For role "tool": the id of the call this message answers."""
    media: tuple[MediaPart, ...] = ()
    """Images and audio sent with a user message to a model that reads them natively."""

    def __post_init__(self) -> None:
        if self.role not in _ROLES:
            raise ConfigurationError(
                f"unknown message role {self.role!r}; expected one of {sorted(_ROLES)}"
            )
        if not isinstance(self.content, str):
            raise ConfigurationError(
                f"message content must be str, not {type(self.content).__name__}"
            )
        if self.role == "tool" and not self.tool_call_id:
            raise ConfigurationError("a tool message needs the tool_call_id it answers")
        if self.media and self.role != "user":
            raise ConfigurationError("only user messages carry media")
        for item in self.media:
            if not isinstance(item, MediaPart):
                raise ConfigurationError(
                    f"message media must be Image or Audio, not {type(item).__name__}"
                )

    @classmethod
    def system(cls, content: str) -> Message:
        return cls("system", content)

    @classmethod
    def user(cls, content: str, media: Iterable[MediaPart] = ()) -> Message:
        return cls("user", content, media=tuple(media))

    @classmethod
    def assistant(cls, content: str = "", tool_calls: Iterable[ToolCall] = ()) -> Message:
        return cls("assistant", content, tuple(tool_calls))

    @classmethod
    def tool(cls, result: ToolResult) -> Message:
        return cls("tool", result.content, tool_call_id=result.call_id)

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI chat format, as chat templates expect it."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        if self.media:  # not part of the chat format: kept so saved states hold it
            data["media"] = [media_to_dict(item) for item in self.media]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Read the OpenAI chat format."""
        try:
            role = data["role"]
        except KeyError:
            raise ConfigurationError("a message needs a 'role'") from None
        return cls(
            role=role,
            content=data.get("content") or "",
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ()),
            tool_call_id=data.get("tool_call_id"),
            media=tuple(media_from_dict(item) for item in data.get("media") or ()),
        )


def as_messages(value: str | Message | Mapping[str, Any] | Iterable[Any]) -> list[Message]:
    """Normalise what users pass as a conversation into a list of `Message`.

    A string is one user message; dicts use the OpenAI chat format.
    """
    if isinstance(value, str):
        return [Message.user(value)]
    if isinstance(value, Message):
        return [value]
    if isinstance(value, Mapping):
        return [Message.from_dict(value)]
    messages: list[Message] = []
    for item in value:
        if isinstance(item, Message):
            messages.append(item)
        elif isinstance(item, Mapping):
            messages.append(Message.from_dict(item))
        elif isinstance(item, str):
            messages.append(Message.user(item))
        else:
            raise ConfigurationError(
                f"cannot use {type(item).__name__} as a chat message; "
                "pass Message objects, dicts with 'role' and 'content', or strings"
            )
    if not messages:
        raise ConfigurationError("the conversation is empty")
    return messages

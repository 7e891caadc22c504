"""Deterministic chat models for unit tests. They plug in where real models plug in.

- `ScriptedModel` answers from a list of replies, in order.
- `FunctionModel` lets a function (or an async function) decide each reply from the
  conversation.

Both answer on the event loop (they are `AsyncChatModel`s): their work is in memory, and
a hand-off to a worker thread would cost more than the answer. A `FunctionModel`'s
function should therefore be quick, or async.

A reply is a string (text), a `ToolCall` or a list of them (tool calls), or a full
`ModelResponse`. Token usage is counted in whitespace-separated words, so tests can
assert on it without a tokenizer. Both record every call they receive in `.calls`.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass

from agentsdk.errors import ConfigurationError, GenerationError
from agentsdk.messages import Message, ToolCall
from agentsdk.models.base import (
    GenerationSettings,
    ModelResponse,
    ModelStream,
    ToolSchema,
    Usage,
)

__all__ = ["FunctionModel", "ModelCall", "Reply", "ScriptedModel"]

Reply = str | ToolCall | Sequence[ToolCall] | ModelResponse

_CHUNK = re.compile(r"\s*\S+|\s+")


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One request a test model received."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSchema, ...]
    settings: GenerationSettings


def _words(text: str) -> int:
    return len(text.split())


def _to_response(reply: Reply, call: ModelCall, model: str) -> ModelResponse:
    input_tokens = sum(_words(m.content) for m in call.messages)
    if isinstance(reply, ModelResponse):
        return reply
    if isinstance(reply, str):
        return ModelResponse(reply, (), Usage(input_tokens, _words(reply)), "stop", model)
    calls = (reply,) if isinstance(reply, ToolCall) else tuple(reply)
    if not calls or not all(isinstance(c, ToolCall) for c in calls):
        raise ConfigurationError(
            "a scripted reply is a str, a ToolCall, a list of ToolCall or a ModelResponse"
        )
    return ModelResponse("", calls, Usage(input_tokens, len(calls)), "tool_calls", model)


_DEFAULT_SETTINGS = GenerationSettings()


async def _awaited(reply: Awaitable[Reply]) -> Reply:
    return await reply


def _stream_of(response: ModelResponse) -> Generator[str, None, ModelResponse]:
    yield from _CHUNK.findall(response.text)
    return response


class _TestModel:
    name: str

    def __init__(self, name: str, *, remote: bool = False) -> None:
        self.name = name
        self.remote = remote
        """Pretend to be a model server (the agent redacts PII for it)."""
        self.calls: list[ModelCall] = []

    def count_tokens(self, text: str) -> int:
        """Whitespace-separated words."""
        return _words(text)

    def _reply(self, call: ModelCall) -> Reply | Awaitable[Reply]:
        raise NotImplementedError

    def _call(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSchema],
        settings: GenerationSettings | None,
    ) -> ModelCall:
        call = ModelCall(tuple(messages), tuple(tools), settings or _DEFAULT_SETTINGS)
        self.calls.append(call)
        return call

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        call = self._call(messages, tools, settings)
        reply = self._reply(call)
        if inspect.isawaitable(reply):  # an async function, called from sync code
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                reply = asyncio.run(_awaited(reply))
            else:
                if inspect.iscoroutine(reply):
                    reply.close()
                raise ConfigurationError(
                    f"{type(self).__name__} {self.name!r} has an async function: inside an "
                    "event loop, use `await model.agenerate(...)`"
                )
        return _to_response(reply, call, self.name)

    async def agenerate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        """`generate` on the event loop (an async function is awaited)."""
        call = self._call(messages, tools, settings)
        reply = self._reply(call)
        if inspect.isawaitable(reply):
            reply = await reply
        return _to_response(reply, call, self.name)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        return ModelStream(_stream_of(self.generate(messages, tools=tools, settings=settings)))


class ScriptedModel(_TestModel):
    """Replies from a script, one per call, in order.

    >>> model = ScriptedModel([ToolCall("add", {"a": 1, "b": 2}), "The sum is 3."])
    """

    def __init__(
        self, replies: Iterable[Reply], *, name: str = "scripted", remote: bool = False
    ) -> None:
        super().__init__(name, remote=remote)
        self._replies: deque[Reply] = deque(replies)
        self._total = len(self._replies)

    @property
    def remaining(self) -> int:
        """Replies not used yet."""
        return len(self._replies)

    def _reply(self, call: ModelCall) -> Reply:
        if not self._replies:
            raise GenerationError(
                f"ScriptedModel {self.name!r} ran out of replies: the script had "
                f"{self._total} and this is call {len(self.calls)}"
            )
        return self._replies.popleft()


class FunctionModel(_TestModel):
    """Replies with whatever `function(messages)` returns, or `function(messages, call)`
    when it takes two parameters (the `ModelCall` adds the tools and the settings). A
    reply is a string (the answer), a `ToolCall`, or a list of `ToolCall`s; an async
    function's reply is awaited.

    >>> model = FunctionModel(lambda messages: messages[-1].content.upper())
    """

    def __init__(
        self,
        function: Callable[[list[Message]], Reply | Awaitable[Reply]]
        | Callable[[list[Message], ModelCall], Reply | Awaitable[Reply]],
        *,
        name: str = "function",
        remote: bool = False,
    ) -> None:
        super().__init__(name, remote=remote)
        if not callable(function):
            raise ConfigurationError("FunctionModel needs a function of the messages")
        self._function: Callable[..., Reply | Awaitable[Reply]] = function
        self._with_call = _positional_count(function) >= 2

    def _reply(self, call: ModelCall) -> Reply | Awaitable[Reply]:
        if self._with_call:
            return self._function(list(call.messages), call)
        return self._function(list(call.messages))


def _positional_count(function: Callable[..., object]) -> int:
    """How many positional parameters `function` takes (2 when it takes *args)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 2
    kinds = [p.kind for p in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return 2
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(kind in positional for kind in kinds)

"""The chat model protocol and the values that cross it.

A chat model takes messages (and optionally tool schemas) and returns a `ModelResponse`:
text, tool calls, token usage and why it stopped. `stream` returns a `ModelStream`, an
iterator of text deltas whose `.response` is the same `ModelResponse` once it ends.
It also says whether it is `remote` and counts tokens (`count_tokens`) for the budgets.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from agentsdk.errors import ConfigurationError, GenerationError
from agentsdk.messages import Message, ToolCall

__all__ = [
    "AsyncChatModel",
    "ChatModel",
    "FinishReason",
    "GenerationSettings",
    "ModelResponse",
    "ModelStream",
    "ModelWrapper",
    "ToolSchema",
    "Usage",
]

FinishReason = Literal["stop", "length", "tool_calls", "max_steps", "interrupted"]
"""Why something stopped, one type for both: a model turn ends with "stop", "length" (its
token limit) or "tool_calls"; a run with "stop", "length", "max_steps" (its turn limit)
or "interrupted" (paused until a person decides)."""
ToolSchema = Mapping[str, Any]
"""A tool in the OpenAI format: {"type": "function", "function": {name, description,
parameters}}."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationSettings:
    """How to decode. The defaults are greedy and deterministic."""

    max_tokens: int = 512
    """Most new tokens to generate."""
    temperature: float = 0.0
    """0 means greedy decoding; above 0 samples."""
    top_p: float = 1.0
    """Nucleus sampling mass (sampling only)."""
    top_k: int | None = None
    """Sample among the k most likely tokens (sampling only)."""
    repetition_penalty: float | None = None
    """> 1 discourages repeating tokens."""
    stop: tuple[str, ...] = ()
    """Strings that end the generation; they are not part of the returned text."""
    seed: int | None = None
    """Seed for sampling, for reproducible samples."""
    grounded: bool | None = None
    """Numbers in tool arguments and answers must come from the conversation's evidence,
    and an answer after a tool result must state it (`agentsdk.models.grounding`). Local
    models enforce it with a grammar; None: the model's own default; servers cannot
    enforce it and ignore it."""
    evidence: tuple[str, ...] | None = None
    """The texts whose numbers a grounded reply may write, besides tool results. None:
    every user message. The agent passes the user's text and what was heard and read, so
    prompt scaffolding (section numbers, confidences, file names) is not evidence."""
    request: tuple[str, ...] | None = None
    """What the person asked this turn, in their words (typed text, transcripts). None:
    the last user message."""
    sources: tuple[str, ...] | None = None
    """What was read this turn (OCR text, documents): a grounded local model answers the
    request by choosing from these (`agentsdk.models.extractive`). None or empty: it
    writes its reply under the number grammar instead."""

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ConfigurationError("max_tokens must be at least 1")
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ConfigurationError("temperature must be a finite number >= 0")
        if not 0 < self.top_p <= 1:
            raise ConfigurationError("top_p must be in (0, 1]")
        if self.top_k is not None and self.top_k < 1:
            raise ConfigurationError("top_k must be at least 1")
        if self.repetition_penalty is not None and self.repetition_penalty <= 0:
            raise ConfigurationError("repetition_penalty must be positive")
        if isinstance(self.stop, str):
            raise ConfigurationError("stop is a tuple of strings, not a string")
        if any(not s for s in self.stop):
            raise ConfigurationError("stop strings must not be empty")

    @property
    def sampling(self) -> bool:
        return self.temperature > 0


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens read and written, counted with the model's own tokenizer."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """One model turn."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    finish_reason: FinishReason = "stop"
    model: str = ""

    def to_message(self) -> Message:
        """The assistant message to append to the conversation."""
        return Message.assistant(self.text, self.tool_calls)


class ModelStream(Iterator[str]):
    """Text deltas as the model produces them; `.response` once it has finished.

    Reading `.response` before the end consumes the remaining deltas. `close()` stops
    the generation early.
    """

    def __init__(self, deltas: Generator[str, None, ModelResponse]) -> None:
        self._deltas = deltas
        self._response: ModelResponse | None = None

    def __iter__(self) -> ModelStream:
        return self

    def __next__(self) -> str:
        if self._response is not None:
            raise StopIteration
        try:
            return next(self._deltas)
        except StopIteration as stop:
            self._response = stop.value
            raise StopIteration from None

    @property
    def response(self) -> ModelResponse:
        """The complete response (waits for the end of the stream)."""
        for _ in self:
            pass
        if self._response is None:
            raise GenerationError("the stream was closed before the model finished")
        return self._response

    def close(self) -> None:
        """Stop generating; no response is available afterwards unless it had finished."""
        self._deltas.close()

    def __enter__(self) -> ModelStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@runtime_checkable
class ChatModel(Protocol):
    """What the agent needs from a language model."""

    @property
    def name(self) -> str:
        """A short identifier for traces and results."""
        ...

    @property
    def remote(self) -> bool:
        """True when the conversation leaves this machine (a model server reached by URL):
        the agent then redacts PII and refuses native media unless allowed."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens in `text` as this model counts them (an estimate when it cannot know);
        the prompt and history budgets are counted with it."""
        ...

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        """Answer the conversation in one go."""
        ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        """Answer the conversation, yielding text as it is produced."""
        ...


@runtime_checkable
class AsyncChatModel(ChatModel, Protocol):
    """A chat model that answers on the event loop: the agent awaits `agenerate` instead
    of running `generate` in a worker thread (a hand-off that costs more than a scripted
    model's whole answer). For models whose work is in memory (the test models) or whose
    waiting is async I/O; a model that computes for long must not be one, since it would
    hold up every other task of the loop."""

    async def agenerate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        """`generate`, awaited on the event loop."""
        ...


class ModelWrapper:
    """A chat model around another one (`model`): its name, whether it is remote and its
    token counts are the wrapped model's. Subclasses add what they change
    (`agentsdk.safety.RedactingModel`, the evals' recording model)."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def remote(self) -> bool:
        return self.model.remote

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

"""Typed events of a run, in the order they happen, and the trace that keeps them.

| event             | when                                             |
| ----------------- | ------------------------------------------------ |
| `RunStarted`      | the run begins (parts received)                  |
| `ModelLoading`    | a kit model must load first (`index` of `count`) |
| `ModelLoaded`     | it is in memory (with the seconds it took)       |
| `EncoderStarted`  | an encoder starts on one part                    |
| `EncoderFinished` | it produced an observation (with its latency)    |
| `EncoderFailed`   | it raised; the run goes on without that result   |
| `PromptBuilt`     | observations were fused into the prompt          |
| `TokenDelta`      | the model wrote text (streaming only)            |
| `SpeechChunk`     | a sentence of the answer was spoken (`speak=True`) |
| `ToolCallStarted` | the model asked for a tool                       |
| `ToolCallFinished`| the tool returned (or failed: `is_error`)        |
| `InterruptionRaised` | the run paused: a person must decide this       |
| `RunFinished`     | the final answer, with the whole `RunResult`     |

Every event has `type` (its snake_case name), `run_id` and `time` (seconds since the run
started). `Trace.to_jsonl()` writes one JSON object per line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from agentsdk.codec import to_data
from agentsdk.encoders.base import Observation
from agentsdk.media import Audio
from agentsdk.messages import ToolCall, ToolResult

if TYPE_CHECKING:
    from agentsdk.hitl.approvals import Interruption
    from agentsdk.run.result import RunResult

__all__ = [
    "EncoderFailed",
    "EncoderFinished",
    "EncoderStarted",
    "Event",
    "InterruptionRaised",
    "ModelLoaded",
    "ModelLoading",
    "PromptBuilt",
    "RunFinished",
    "RunStarted",
    "SpeechChunk",
    "TokenDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "Trace",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of all events."""

    type: ClassVar[str] = "event"
    run_id: str
    time: float
    """Seconds since the run started."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `type`, then the fields (`agentsdk.codec.to_data`)."""
        return {"type": self.type, **to_data(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(Event):
    type: ClassVar[str] = "run_started"
    parts: tuple[str, ...]
    """A short description of each input part ("text", "image receipt.png", ...)."""
    resumed: bool = False
    """True when the run goes on from a saved state."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelLoading(Event):
    type: ClassVar[str] = "model_loading"
    role: str
    """The kit role: "llm", "speech", "ocr" or "vision"."""
    index: int
    """1-based position among the models this run loads (progress: `index` of `count`)."""
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelLoaded(Event):
    type: ClassVar[str] = "model_loaded"
    role: str
    index: int
    count: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EncoderStarted(Event):
    type: ClassVar[str] = "encoder_started"
    encoder: str
    part: int
    """Index of the part in the run's inputs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EncoderFinished(Event):
    type: ClassVar[str] = "encoder_finished"
    encoder: str
    part: int
    observation: Observation
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EncoderFailed(Event):
    type: ClassVar[str] = "encoder_failed"
    encoder: str
    part: int
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptBuilt(Event):
    type: ClassVar[str] = "prompt_built"
    tokens: int
    sections: int
    dropped: tuple[str, ...]
    """What the token budget left out, and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenDelta(Event):
    type: ClassVar[str] = "token_delta"
    text: str
    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechChunk(Event):
    """One sentence of the answer, spoken (`stream(..., speak=True)`), in order."""

    type: ClassVar[str] = "speech_chunk"
    text: str
    audio: Audio
    index: int
    """0 for the first sentence, then 1, 2, ..."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "run_id": self.run_id,
            "time": self.time,
            "text": self.text,
            "index": self.index,
            "seconds": self.audio.duration,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallStarted(Event):
    type: ClassVar[str] = "tool_call_started"
    call: ToolCall
    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallFinished(Event):
    type: ClassVar[str] = "tool_call_finished"
    result: ToolResult
    seconds: float
    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InterruptionRaised(Event):
    type: ClassVar[str] = "interruption_raised"
    interruption: Interruption
    """What a person must decide, with its evidence."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(Event):
    type: ClassVar[str] = "run_finished"
    result: RunResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "run_id": self.run_id,
            "time": self.time,
            "text": self.result.text,
            "finish_reason": self.result.finish_reason,
        }


class Trace(list[Event]):
    """The events of one run, in order."""

    def of_type(self, kind: type[Event]) -> list[Event]:
        return [event for event in self if isinstance(event, kind)]

    def to_jsonl(self) -> str:
        return "".join(json.dumps(event.to_dict()) + "\n" for event in self)

"""What a run gives back: `RunResult`, and `Earlier`, a conversation to continue.

These are plain data, below the loop that makes them (`agentsdk.run._loop`) and the entry
points that return them (`agentsdk.run`), so neither imports the other for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from agentsdk.encoders.base import Observation
from agentsdk.events import Trace
from agentsdk.fusion import FusedPrompt
from agentsdk.media import Audio
from agentsdk.messages import Message, ToolCall, ToolResult
from agentsdk.models.base import FinishReason, Usage

if TYPE_CHECKING:
    from agentsdk.hitl.approvals import Interruption
    from agentsdk.run.state import RunState

__all__ = ["Earlier", "RunResult"]

Earlier = Union["RunResult", "RunState", Sequence[Message]]
"""A conversation to continue: a finished run's result or state (which carry its PII
vault), or plain messages."""


@dataclass(frozen=True, slots=True, repr=False)
class RunResult:
    """Everything a run produced, and how. Its repr is a one-line summary (the trace
    and messages it holds can be long)."""

    text: str
    """The final answer."""
    observations: tuple[Observation, ...]
    """What the encoders perceived, with sources and confidences."""
    tool_calls: tuple[ToolCall, ...]
    tool_results: tuple[ToolResult, ...]
    usage: Usage
    """Tokens over all model turns."""
    timings: Mapping[str, float]
    """Seconds per phase ("perceive", "fuse", "model", "tools", "total") and per
    encoder job ("encoder:ocr:1" = OCR on part 1)."""
    trace: Trace
    """Every event of the run, in order."""
    steps: int
    """Model turns taken."""
    finish_reason: FinishReason
    messages: tuple[Message, ...]
    """The conversation, tool messages included, with real values (a model that must not
    read PII reads it through a `RedactingModel`: see `agentsdk.safety`)."""
    prompt: FusedPrompt
    """The fused user message, with its sections and what the budget dropped."""
    perception_failures: tuple[tuple[int, str, str], ...] = ()
    """(part, encoder, error) for each encoder that failed."""
    run_id: str = ""
    interruptions: tuple[Interruption, ...] = field(default=())
    """Decisions a person must make before the run can go on (then `agent.resume`)."""
    state: RunState | None = None
    """The run as data: decide on it (`state.approve(...)`), save it (`to_json`), resume."""
    speech: Audio | None = None
    """The answer spoken (`run(..., speak=True)`) by the agent's voice, else the kit's;
    None when not asked for, when the run paused, and when the answer is empty."""

    @property
    def paused(self) -> bool:
        """True when the run waits for a person."""
        return bool(self.interruptions)

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return (
            f"RunResult(text={text!r}, finish_reason={self.finish_reason!r}, "
            f"steps={self.steps}, tool_calls={len(self.tool_calls)}, "
            f"interruptions={len(self.interruptions)}, run_id={self.run_id!r})"
        )

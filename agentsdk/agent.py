"""`Agent`: configuration only. Running lives in `agentsdk.run`."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agentsdk.errors import ConfigurationError
from agentsdk.hitl.policies import check_approval
from agentsdk.kit import Kit
from agentsdk.models.base import ChatModel, GenerationSettings
from agentsdk.voices import SpeechSynthesizer

if TYPE_CHECKING:
    from agentsdk.events import Event
    from agentsdk.hitl.approvals import Approver
    from agentsdk.router import Router
    from agentsdk.run import Earlier, Inputs, RunResult
    from agentsdk.run.checkpoints import CheckpointStore
    from agentsdk.run.state import RunState
    from agentsdk.runnable import AgentRunnable
    from agentsdk.safety import Guardrail
    from agentsdk.tools import Approval

__all__ = ["DEFAULT_INSTRUCTIONS", "Agent", "Limits"]

DEFAULT_INSTRUCTIONS = (
    "You are a helpful assistant. Answer the user's request using what was perceived in "
    "the attached media. Use a tool when it helps; otherwise answer directly and briefly."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds on one run."""

    max_steps: int = 8
    """Model turns per run; each round of tool calls takes one."""
    prompt_tokens: int = 2048
    """Budget of the fused user message, in the model's tokens."""
    tool_timeout: float = 60.0
    """Seconds a tool may run when it sets no timeout of its own."""
    history_tokens: int = 1536
    """Budget of the earlier turns of a conversation; the oldest whole turns beyond it
    are dropped (0: every run starts afresh)."""

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ConfigurationError("max_steps must be at least 1")
        if self.prompt_tokens < 64:
            raise ConfigurationError("prompt_tokens must be at least 64")
        if self.tool_timeout <= 0:
            raise ConfigurationError("tool_timeout must be positive")
        if self.history_tokens < 0:
            raise ConfigurationError("history_tokens must be >= 0")


@dataclass(kw_only=True)
class Agent:
    """What an agent is made of. Create once, run many times; runs share nothing mutable.

    >>> agent = Agent(kit=Kit.stock(), tools=[calculator], instructions="...")
    >>> agent.run(["What is the total?", Image("receipt.png")]).text
    """

    kit: Kit | None = None
    """Models and encoders. Default: `Kit.stock()` when no `model` is given."""
    model: ChatModel | str | None = None
    """A chat model or a name ("stock", "local:PATH"); overrides the kit's LLM."""
    tools: Sequence[Any] = ()
    """`Tool`s, plain typed functions with docstrings, or langchain-core tools."""
    instructions: str = DEFAULT_INSTRUCTIONS
    """The system message."""
    router: Router | None = None
    """Which encoders see which parts. Default: from the kit (none without a kit)."""
    limits: Limits = field(default_factory=Limits)
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    """Decoding settings for every model turn."""
    approvals: Mapping[str, Approval] = field(default_factory=dict)
    """Approval policy by tool name ("never", "always", or a predicate); overrides the
    tool's own (useful for langchain tools, or one policy per deployment)."""
    escalation: Mapping[str, float] = field(default_factory=dict)
    """Confidence threshold by encoder name ("speech", "ocr", "vision"): an observation
    under it pauses the run for a person to confirm or correct it."""
    approver: Approver | None = None
    """Called for each interruption (sync or async): returns a `Decision`, or None to
    leave the run paused. E.g. `ConsoleApprover()`. None: every interruption pauses."""
    checkpointer: CheckpointStore | None = None
    """Saves the run state by thread id after every step (`SQLiteCheckpointStore`)."""
    redact_pii: Literal["remote", "always", "never"] = "remote"
    """Redact e-mails, phones, cards, IBANs and national IDs in transcripts, OCR text and
    tool results before the model reads them: for remote models (default), always, or
    never. Tools still receive the real values."""
    perception: Literal["encoders", "native", "both"] = "encoders"
    """How images and audio reach the model: "encoders" turn them into fenced text
    observations (any model); "native" sends the media themselves, as `image_url` and
    `input_audio` parts, to a model that reads them; "both" sends the observations and
    the media."""
    remote_media: bool = False
    """Let native media go to a remote model. Pixels and sound cannot be redacted, so
    without this a remote model with native perception is refused."""
    image_max_side: int = 1536
    """Native images are scaled down (aspect kept) so their longer side fits this."""
    guardrails: Sequence[Guardrail] = ()
    """Input guardrails check the fused prompt, output guardrails the answer; a tripwire
    raises `GuardrailTripped` (the state is saved first)."""
    voice: SpeechSynthesizer | None = None
    """Speaks the answers of `run(..., speak=True)` (`RunResult.speech`). None: the kit's
    voice (`Kit.voice`: the stock voice unless the kit was given one)."""

    def __post_init__(self) -> None:
        if not isinstance(self.instructions, str):
            raise ConfigurationError(
                f'instructions must be a string ("" for none), not '
                f"{type(self.instructions).__name__}"
            )
        for name, threshold in self.escalation.items():
            if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
                raise ConfigurationError(
                    f"escalation threshold for {name!r} must be in [0, 1], got {threshold!r}"
                )
            if math.isnan(threshold):
                raise ConfigurationError(f"escalation threshold for {name!r} is NaN")
        if self.perception not in ("encoders", "native", "both"):
            raise ConfigurationError(
                f"perception must be 'encoders', 'native' or 'both', not {self.perception!r}"
            )
        if self.image_max_side < 32:
            raise ConfigurationError("image_max_side must be at least 32 pixels")
        if self.redact_pii not in ("remote", "always", "never"):
            raise ConfigurationError(
                f"redact_pii must be 'remote', 'always' or 'never', not {self.redact_pii!r}"
            )
        if self.guardrails:
            from agentsdk.safety import Guardrail

            for item in self.guardrails:
                if not isinstance(item, Guardrail):
                    raise ConfigurationError(
                        f"guardrails must be Guardrail objects, not {type(item).__name__}: wrap "
                        "a function with Guardrail(function, stage='input' or 'output') or "
                        "@guardrail(stage=...)"
                    )
        for name, policy in self.approvals.items():
            check_approval(policy, f"Agent(approvals=...) for {name!r}")
        if self.voice is not None and not isinstance(self.voice, SpeechSynthesizer):
            raise ConfigurationError(
                "voice must be a SpeechSynthesizer (name, sample_rate, synthesize(text) -> "
                f"Audio), e.g. HibariVoice() or EspeakVoice(); not {type(self.voice).__name__}"
            )

    def run(
        self,
        inputs: Inputs,
        *,
        thread_id: str | None = None,
        history: Earlier | None = None,
        speak: bool = False,
    ) -> RunResult:
        """Run to the end, or until a person must decide (blocking). With a checkpointer,
        the state is saved under `thread_id` (default: the run id) after every step, and
        a `thread_id` that already holds a finished run continues its conversation.
        Without a store, `history=result` (or its messages) continues a conversation.
        Earlier turns are kept within `limits.history_tokens` (oldest dropped first).
        `speak=True`: the answer is also spoken, in `result.speech` (see `voice`)."""
        from agentsdk.run import run_sync

        return run_sync(self, inputs, thread_id=thread_id, history=history, speak=speak)

    async def arun(
        self,
        inputs: Inputs,
        *,
        thread_id: str | None = None,
        history: Earlier | None = None,
        speak: bool = False,
    ) -> RunResult:
        """Run to the end, or until a person must decide (`speak`: see `run`)."""
        from agentsdk.run import run

        return await run(self, inputs, thread_id=thread_id, history=history, speak=speak)

    def resume(self, state: RunState | str, *, speak: bool = False) -> RunResult:
        """Go on with a paused run: a `RunState` (decisions recorded on it) or a thread id
        to load from the checkpointer. Encoders and tools that already ran do not rerun.
        `speak=True`: the answer is also spoken, in `result.speech`."""
        from agentsdk.run import resume_sync

        return resume_sync(self, state, speak=speak)

    async def aresume(self, state: RunState | str, *, speak: bool = False) -> RunResult:
        """`resume` for async code."""
        from agentsdk.run import resume

        return await resume(self, state, speak=speak)

    def stream(
        self,
        inputs: Inputs,
        *,
        thread_id: str | None = None,
        history: Earlier | None = None,
        speak: bool = False,
    ) -> AsyncIterator[Event]:
        """Events as they happen; the last is `RunFinished` with the result. With
        `speak=True` each sentence of the answer is spoken as soon as it is written
        (`SpeechChunk` events), and the result's `speech` joins them."""
        from agentsdk.run import stream

        return stream(self, inputs, thread_id=thread_id, history=history, speak=speak)

    def as_runnable(self, *, output: Literal["text", "result"] = "text") -> AgentRunnable:
        """This agent as a LangChain `Runnable` (`agentsdk.runnable`): prompt values,
        strings, parts or LangChain messages in; the answer's text (or the `RunResult`)
        out; `invoke`, `batch`, `stream` and their async forms."""
        from agentsdk.runnable import AgentRunnable

        return AgentRunnable(self, output=output)

    def stream_sync(
        self,
        inputs: Inputs,
        *,
        thread_id: str | None = None,
        history: Earlier | None = None,
        speak: bool = False,
    ) -> Iterator[Event]:
        """`stream` for code without an event loop."""
        from agentsdk.run import stream_sync

        return stream_sync(self, inputs, thread_id=thread_id, history=history, speak=speak)

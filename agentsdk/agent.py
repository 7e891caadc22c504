"""`Agent`: configuration only. Running lives in `agentsdk.run`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError
from agentsdk.kit import Kit
from agentsdk.models.base import ChatModel, GenerationSettings

if TYPE_CHECKING:
    from agentsdk.events import Event
    from agentsdk.router import Router
    from agentsdk.run import Inputs, RunResult

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

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ConfigurationError("max_steps must be at least 1")
        if self.prompt_tokens < 64:
            raise ConfigurationError("prompt_tokens must be at least 64")
        if self.tool_timeout <= 0:
            raise ConfigurationError("tool_timeout must be positive")


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

    def run(self, inputs: Inputs) -> RunResult:
        """Run to the end and return the result (blocking)."""
        from agentsdk.run import run_sync

        return run_sync(self, inputs)

    async def arun(self, inputs: Inputs) -> RunResult:
        """Run to the end and return the result."""
        from agentsdk.run import run

        return await run(self, inputs)

    def stream(self, inputs: Inputs) -> AsyncIterator[Event]:
        """Events as they happen; the last is `RunFinished` with the result."""
        from agentsdk.run import stream

        return stream(self, inputs)

    def stream_sync(self, inputs: Inputs) -> Iterator[Event]:
        """`stream` for code without an event loop."""
        from agentsdk.run import stream_sync

        return stream_sync(self, inputs)

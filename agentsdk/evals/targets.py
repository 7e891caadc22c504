"""What an eval runs: a target turns one case into an `Outcome`.

- `agent_target(make_agent)`: a whole agent run (perception, model, tools, people). A
  fresh agent per case from `make_agent()`, so cases share nothing mutable; the model it
  uses is wrapped to record every text it received (the PII check reads them).
- `model_target(model, tools)`: one model turn with tool schemas (tool choice).
- `encoder_target(encoder)`: one encoder on the case's media (ASR, OCR, vision).

A target is any callable `(case, parts) -> Outcome`, sync or async; write your own.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from agentsdk.errors import ConfigurationError
from agentsdk.evals.cases import Case
from agentsdk.evals.evaluators import Outcome
from agentsdk.media import Audio, Image
from agentsdk.messages import Message, Text
from agentsdk.models.base import (
    ChatModel,
    GenerationSettings,
    ModelResponse,
    ModelStream,
    ModelWrapper,
    ToolSchema,
)

if TYPE_CHECKING:
    from agentsdk.agent import Agent
    from agentsdk.encoders.base import Encoder

__all__ = ["Target", "agent_target", "encoder_target", "model_target"]

Part = Text | Image | Audio
Target = Callable[[Case, list[Part]], Outcome | Awaitable[Outcome]]


class RecordingModel(ModelWrapper):
    """A chat model that remembers every text it was sent, then defers to `model`."""

    def __init__(self, model: ChatModel) -> None:
        super().__init__(model)
        self.sent: list[str] = []

    def _record(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self.sent.append(message.content)
            self.sent += [str(dict(call.arguments)) for call in message.tool_calls]

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        self._record(messages)
        return self.model.generate(messages, tools=tools, settings=settings)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        self._record(messages)
        return self.model.stream(messages, tools=tools, settings=settings)


def agent_target(make_agent: Callable[[], Agent]) -> Target:
    """Run a fresh agent on each case (`make_agent()` builds it)."""
    import dataclasses

    from agentsdk.models.resolve import resolve_model

    async def run(case: Case, parts: list[Part]) -> Outcome:
        agent = make_agent()
        if agent.model is not None:
            model = resolve_model(agent.model)
        elif agent.kit is not None:
            model = agent.kit.llm
        else:
            raise ConfigurationError("agent_target needs an agent with a kit or a model")
        recorder = RecordingModel(model)
        agent = dataclasses.replace(agent, model=recorder)
        began = time.perf_counter()
        result = await agent.arun(parts)
        seconds = time.perf_counter() - began
        state = result.state
        executed = tuple(
            str(entry.what.get("call", {}).get("function", {}).get("name", ""))
            for entry in (state.audit if state is not None else ())
            if entry.action == "tool_executed"
        )
        return Outcome(
            text=result.text,
            tool_calls=result.tool_calls,
            executed=executed,
            paused=result.paused,
            sent=tuple(recorder.sent),
            seconds=seconds,
            usage=result.usage,
            details={
                "observations": [
                    {"encoder": o.encoder, "text": o.text, "confidence": round(o.confidence, 3)}
                    for o in result.observations
                ],
                "tool_results": [r.content for r in result.tool_results],
                "steps": result.steps,
                "finish_reason": result.finish_reason,
            },
        )

    return run


def model_target(
    model: ChatModel, tools: Sequence[ToolSchema], *, settings: GenerationSettings | None = None
) -> Target:
    """One model turn on the case's text, with `tools` offered."""

    def run(case: Case, parts: list[Part]) -> Outcome:
        messages = [Message.user(case.text)]
        began = time.perf_counter()
        response = model.generate(messages, tools=tools, settings=settings)
        return Outcome(
            text=response.text,
            tool_calls=response.tool_calls,
            sent=(case.text,),
            seconds=time.perf_counter() - began,
            usage=response.usage,
            details={"finish_reason": response.finish_reason},
        )

    return run


def encoder_target(encoder: Encoder, *, top_tag: bool = False) -> Target:
    """The encoder's text for the case's first image or clip (what the checks read); with
    `top_tag`, the best label of a tagging encoder (vision) instead."""

    def run(case: Case, parts: list[Part]) -> Outcome:
        media = [p for p in parts if isinstance(p, Image | Audio)]
        if not media:
            raise ConfigurationError(f"case {case.id!r} has no media for {encoder.name}")
        began = time.perf_counter()
        observation = encoder.encode(media[0])
        seen = {
            "encoder": observation.encoder,
            "text": observation.text,
            "confidence": round(observation.confidence, 3),
        }
        text = observation.text
        if top_tag:
            tags = observation.details.get("tags") or ()
            if not tags:
                raise ConfigurationError(f"{encoder.name} gives no tags to take the top one of")
            text = str(tags[0][0])
        seconds = time.perf_counter() - began
        return Outcome(text=text, seconds=seconds, details={"observations": [seen]})

    return run

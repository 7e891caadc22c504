"""The agent loop, in phases: perceive -> fuse -> (think -> act)* -> finish.

- perceive: the router runs every encoder on every part, concurrently.
- fuse: observations and the user's text become one user message within the budget.
- think: one model turn (streamed as token deltas when someone listens).
- act: the turn's tool calls run in parallel; results go back to the model as tool
  messages, errors and invalid arguments included, so the model can correct itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError
from agentsdk.events import (
    Event,
    PromptBuilt,
    RunFinished,
    RunStarted,
    TokenDelta,
    ToolCallFinished,
    ToolCallStarted,
    Trace,
)
from agentsdk.fusion import FusedPrompt, fuse
from agentsdk.kit import Kit
from agentsdk.media import Audio, Image
from agentsdk.messages import Message, Text, ToolCall, ToolResult
from agentsdk.models.base import ChatModel, ModelResponse, Usage
from agentsdk.models.resolve import resolve_model
from agentsdk.router import Perception, Router
from agentsdk.run import FinishReason, Part, RunResult
from agentsdk.tools import Tool, as_tool, tools_by_name

if TYPE_CHECKING:
    from agentsdk.agent import Agent

__all__ = ["execute"]


async def execute(
    agent: Agent, parts: Sequence[Part], *, emit: Callable[[Event], None] | None
) -> RunResult:
    return await _Run(agent, parts, emit).go()


def _describe(part: Part) -> str:
    if isinstance(part, Text):
        return "text"
    kind = "image" if isinstance(part, Image) else "audio"
    return f"{kind} {part.name}" if part.name else kind


class _Run:
    def __init__(
        self, agent: Agent, parts: Sequence[Part], sink: Callable[[Event], None] | None
    ) -> None:
        self.agent = agent
        self.parts = list(parts)
        self.sink = sink
        self.run_id = uuid.uuid4().hex[:12]
        self.started = time.perf_counter()
        self.trace = Trace()
        self.timings: dict[str, float] = {"model": 0.0, "tools": 0.0}
        self.usage = Usage()
        self.calls: list[ToolCall] = []
        self.results: list[ToolResult] = []
        kit = agent.kit if agent.kit is not None else (Kit.stock() if agent.model is None else None)
        self.model: ChatModel = (
            resolve_model(agent.model)
            if agent.model is not None
            else (kit.llm if kit is not None else resolve_model("stock"))
        )
        self.router = agent.router or (Router.from_kit(kit) if kit is not None else Router())
        self.tools: dict[str, Tool] = tools_by_name([as_tool(t) for t in agent.tools])
        self.schemas = [tool.schema() for tool in self.tools.values()]
        self._check_parts()

    def _check_parts(self) -> None:
        for part in self.parts:
            if isinstance(part, Image) and not self.router.image:
                raise ConfigurationError(
                    "no encoder reads images: give the agent a kit or a router"
                )
            if isinstance(part, Audio) and not self.router.audio:
                raise ConfigurationError("no encoder hears audio: give the agent a kit or a router")

    def clock(self) -> float:
        return time.perf_counter() - self.started

    def emit(self, event: Event) -> None:
        self.trace.append(event)
        if self.sink is not None:
            self.sink(event)

    # -- phases ------------------------------------------------------------------------

    async def go(self) -> RunResult:
        self.emit(
            RunStarted(run_id=self.run_id, time=0.0, parts=tuple(_describe(p) for p in self.parts))
        )
        perception = await self.perceive()
        prompt = self.fuse(perception)
        messages = [Message.system(self.agent.instructions), Message.user(prompt.text)]
        response: ModelResponse | None = None
        reason: FinishReason = "max_steps"
        steps = 0
        for step in range(1, self.agent.limits.max_steps + 1):
            steps = step
            response = await self.think(messages, step)
            messages.append(response.to_message())
            if not response.tool_calls:
                reason = "length" if response.finish_reason == "length" else "stop"
                break
            results = await self.act(response.tool_calls, step)
            messages += [Message.tool(result) for result in results]
        self.timings["total"] = self.clock()
        result = RunResult(
            text=response.text if response is not None else "",
            observations=perception.observations,
            tool_calls=tuple(self.calls),
            tool_results=tuple(self.results),
            usage=self.usage,
            timings=dict(self.timings),
            trace=self.trace,
            steps=steps,
            finish_reason=reason,
            messages=tuple(messages),
            prompt=prompt,
            perception_failures=perception.failures,
            run_id=self.run_id,
        )
        self.emit(RunFinished(run_id=self.run_id, time=self.clock(), result=result))
        return result

    async def perceive(self) -> Perception:
        perception = await self.router.perceive(self.parts, self.emit, self.clock, self.run_id)
        self.timings["perceive"] = perception.seconds
        for job, seconds in perception.latencies.items():
            self.timings[f"encoder:{job}"] = seconds
        return perception

    def fuse(self, perception: Perception) -> FusedPrompt:
        began = time.perf_counter()
        user_text = "\n".join(p.text for p in self.parts if isinstance(p, Text))
        count = getattr(self.model, "count_tokens", None)
        prompt = fuse(
            user_text,
            perception.observations,
            budget=self.agent.limits.prompt_tokens,
            count_tokens=count,
        )
        self.timings["fuse"] = time.perf_counter() - began
        self.emit(
            PromptBuilt(
                run_id=self.run_id,
                time=self.clock(),
                tokens=prompt.tokens,
                sections=len(prompt.sections),
                dropped=prompt.dropped,
            )
        )
        return prompt

    async def think(self, messages: list[Message], step: int) -> ModelResponse:
        began = time.perf_counter()
        settings = self.agent.settings
        if self.sink is None:
            response = await asyncio.to_thread(
                self.model.generate, messages, tools=self.schemas, settings=settings
            )
        else:
            loop = asyncio.get_running_loop()

            def streamed() -> ModelResponse:
                stream = self.model.stream(messages, tools=self.schemas, settings=settings)
                for delta in stream:
                    event = TokenDelta(run_id=self.run_id, time=self.clock(), text=delta, step=step)
                    loop.call_soon_threadsafe(self.emit, event)
                return stream.response

            response = await asyncio.to_thread(streamed)
        self.timings["model"] += time.perf_counter() - began
        self.usage += response.usage
        return response

    async def act(self, calls: Sequence[ToolCall], step: int) -> list[ToolResult]:
        began = time.perf_counter()
        results = await asyncio.gather(*(self._call(call, step) for call in calls))
        self.timings["tools"] += time.perf_counter() - began
        self.results += results  # in call order, whatever order they finished in
        return list(results)

    async def _call(self, call: ToolCall, step: int) -> ToolResult:
        self.calls.append(call)
        self.emit(ToolCallStarted(run_id=self.run_id, time=self.clock(), call=call, step=step))
        began = time.perf_counter()
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            content, is_error = f"Error: unknown tool {call.name!r}; available tools: {known}", True
        else:
            limit = tool.timeout or self.agent.limits.tool_timeout
            try:
                outcome: Any = await asyncio.wait_for(tool.run(call.arguments), timeout=limit)
                content, is_error = outcome.content, outcome.is_error
            except TimeoutError:
                content, is_error = f"Error: timed out after {limit:g} s", True
        result = ToolResult(call.id, call.name, content, is_error)
        self.emit(
            ToolCallFinished(
                run_id=self.run_id,
                time=self.clock(),
                result=result,
                seconds=time.perf_counter() - began,
                step=step,
            )
        )
        return result

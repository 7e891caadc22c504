"""The loop's phases with scripted models: tools, errors, limits, parallelism, events."""

from __future__ import annotations

import asyncio
import itertools
import time

import numpy as np

from agentsdk import Image, ScriptedModel, ToolCall
from agentsdk.agent import Agent, Limits
from agentsdk.encoders import ImageFactsEncoder
from agentsdk.events import (
    EncoderFinished,
    PromptBuilt,
    RunFinished,
    RunStarted,
    TokenDelta,
    ToolCallFinished,
    ToolCallStarted,
)
from agentsdk.messages import Message
from agentsdk.models.testing import FunctionModel, ModelCall
from agentsdk.router import Router
from agentsdk.tools import tool


@tool
def add(a: float, b: float) -> float:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
def slow(seconds: float) -> str:
    """Sleep, then say so.

    Args:
        seconds: How long to sleep.
    """
    time.sleep(seconds)
    return "done"


@tool
def explode() -> str:
    """Always fails."""
    raise ValueError("the tool broke")


def test_a_tool_round_trip() -> None:
    call = ToolCall("add", {"a": 2, "b": 3})
    model = ScriptedModel([call, "The sum is 5."])
    result = Agent(model=model, tools=[add]).run("What is 2 + 3?")
    assert result.text == "The sum is 5."
    assert result.tool_calls == (call,)
    assert [(r.call_id, r.content, r.is_error) for r in result.tool_results] == [
        (call.id, "5.0", False)
    ]
    assert result.steps == 2 and result.finish_reason == "stop"
    second_turn = model.calls[1].messages
    assert [m.role for m in second_turn] == ["system", "user", "assistant", "tool"]
    assert second_turn[-1] == Message("tool", "5.0", tool_call_id=call.id)
    assert model.calls[0].tools[0]["function"]["name"] == "add"


def test_errors_and_bad_arguments_go_back_to_the_model() -> None:
    model = ScriptedModel(
        [
            [ToolCall("add", {"a": "two", "b": 3}), ToolCall("explode", {}), ToolCall("nope", {})],
            "Sorry.",
        ]
    )
    result = Agent(model=model, tools=[add, explode]).run("go")
    contents = [r.content for r in result.tool_results]
    assert all(r.is_error for r in result.tool_results)
    assert "invalid arguments" in contents[0]
    assert "ValueError" in contents[1] and "the tool broke" in contents[1]
    assert "unknown tool 'nope'" in contents[2] and "add, explode" in contents[2]
    assert result.text == "Sorry."


def test_tool_calls_of_one_step_run_in_parallel() -> None:
    calls = [ToolCall("slow", {"seconds": 0.3}) for _ in range(3)]
    began = time.perf_counter()
    result = Agent(model=ScriptedModel([calls, "ok"]), tools=[slow]).run("wait")
    assert time.perf_counter() - began < 0.8
    assert [r.content for r in result.tool_results] == ["done"] * 3
    assert result.timings["tools"] < 0.8


def test_the_default_tool_timeout_applies() -> None:
    agent = Agent(
        model=ScriptedModel([ToolCall("slow", {"seconds": 2}), "gave up"]),
        tools=[slow],
        limits=Limits(tool_timeout=0.2),
    )
    result = agent.run("wait")
    assert result.tool_results[0].is_error
    assert "timed out" in result.tool_results[0].content


def test_the_step_limit_stops_a_model_that_never_answers() -> None:
    model = FunctionModel(lambda messages, call: ToolCall("add", {"a": 1, "b": 1}))
    result = Agent(model=model, tools=[add], limits=Limits(max_steps=3)).run("loop forever")
    assert result.finish_reason == "max_steps"
    assert result.steps == 3 and len(result.tool_calls) == 3
    assert len(model.calls) == 3


def test_observations_reach_the_prompt_and_the_result() -> None:
    seen: list[str] = []

    def reply(messages: list[Message], call: ModelCall) -> str:
        seen.append(messages[1].content)
        return "It is a small image."

    agent = Agent(model=FunctionModel(reply), router=Router(image=[ImageFactsEncoder()]))
    picture = Image(np.zeros((40, 60, 3), np.uint8), name="black.png")
    result = agent.run(["Describe this.", picture])
    assert [o.kind for o in result.observations] == ["facts"]
    assert seen[0].startswith("Describe this.")
    assert "facts about the image of black.png" in seen[0]
    assert result.prompt.sections[0].observation is result.observations[0]
    assert "encoder:facts:1" in result.timings and result.timings["perceive"] > 0


def test_events_tell_the_story_in_order() -> None:
    call = ToolCall("add", {"a": 1, "b": 2})
    agent = Agent(
        model=ScriptedModel([call, "three"]),
        tools=[add],
        router=Router(image=[ImageFactsEncoder()]),
    )
    events = list(agent.stream_sync(["add", Image(np.zeros((4, 4, 3), np.uint8))]))
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    order = [k for k in kinds if k is not TokenDelta]
    assert order == [
        RunStarted,
        type(events[1]),
        EncoderFinished,
        PromptBuilt,
        ToolCallStarted,
        ToolCallFinished,
        RunFinished,
    ]
    assert "".join(e.text for e in events if isinstance(e, TokenDelta)) == "three"
    result = events[-1].result  # type: ignore[attr-defined]
    assert result.text == "three"
    assert list(result.trace) == events
    assert all(a.time <= b.time for a, b in itertools.pairwise(events))
    lines = result.trace.to_jsonl().splitlines()
    assert len(lines) == len(events) and '"type": "tool_call_started"' in lines[4]


def test_async_stream_and_run() -> None:
    async def main() -> tuple[list[str], str]:
        agent = Agent(model=ScriptedModel(["hello there", "again"]))
        types = [event.type async for event in agent.stream("hi")]
        result = await agent.arun("hi")
        return types, result.text

    types, text = asyncio.run(main())
    assert types[0] == "run_started" and types[-1] == "run_finished" and "token_delta" in types
    assert text == "again"


def test_usage_adds_up_over_turns() -> None:
    model = ScriptedModel([ToolCall("add", {"a": 1, "b": 2}), "three"])
    result = Agent(model=model, tools=[add]).run("add one and two")
    assert result.usage.output_tokens == 2  # one call + one word
    assert result.usage.input_tokens > 0

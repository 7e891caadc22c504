"""Where tools run: one timeout per call, the call known inside the tool, results kept."""

from __future__ import annotations

import asyncio

from agentsdk import Agent, ScriptedModel, ToolCall, current_call, tool
from agentsdk.agent import Limits


@tool
async def slow(seconds: float) -> str:
    """Wait a while.

    Args:
        seconds: How long.
    """
    await asyncio.sleep(seconds)
    return "done"


@tool(timeout=0.1)
async def impatient(seconds: float) -> str:
    """Wait a while, but never long.

    Args:
        seconds: How long.
    """
    await asyncio.sleep(seconds)
    return "done"


def _result(tool_name: str, limit: float) -> str:
    model = ScriptedModel([ToolCall(tool_name, {"seconds": 2}), "ok"])
    agent = Agent(model=model, tools=[slow, impatient], limits=Limits(tool_timeout=limit))
    return agent.run("wait").tool_results[0].content


def test_the_agents_limit_applies_when_the_tool_sets_none() -> None:
    assert _result("slow", 0.2) == "Error: timed out after 0.2 s"


def test_a_tools_own_timeout_wins_and_is_the_only_one() -> None:
    assert _result("impatient", 60.0) == "Error: timed out after 0.1 s"


def test_a_tool_knows_the_call_it_runs_for() -> None:
    seen: list[str] = []

    @tool
    def record() -> str:
        """Remember the call id."""
        seen.append(current_call().id)
        return "ok"

    call = ToolCall("record", {}, id="call_abc")
    result = Agent(model=ScriptedModel([call, "fine"]), tools=[record]).run("go")
    assert seen == ["call_abc"] and result.tool_results[0].content == "ok"
    actions = [e.action for e in result.state.audit]  # type: ignore[union-attr]
    assert actions == ["tool_started", "tool_executed"]

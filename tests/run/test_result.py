"""The result of a run: plain data with a one-line repr, importable below the loop."""

from __future__ import annotations

from agentsdk import Agent, ScriptedModel
from agentsdk.run import RunResult as FromRun
from agentsdk.run.result import RunResult


def test_the_result_is_the_same_type_from_either_module() -> None:
    assert FromRun is RunResult
    result = Agent(model=ScriptedModel(["fine"])).run("hi")
    assert isinstance(result, RunResult) and not result.paused
    assert repr(result).startswith("RunResult(text='fine', finish_reason='stop', steps=1")

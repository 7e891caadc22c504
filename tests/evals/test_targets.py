"""Targets: what an agent, a model or an encoder did with a case, as an Outcome."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from agentsdk import Agent, ConfigurationError, FunctionModel, Image, ScriptedModel, ToolCall, tool
from agentsdk.evals import Case, agent_target, encoder_target, model_target
from agentsdk.evals.evaluators import Outcome
from agentsdk.router import Router
from tests.fakes import FixedEncoder


@tool(approval="always")
def pay(amount: float) -> str:
    """Pay.

    Args:
        amount: How much.
    """
    return "paid"


@tool
def note(text: str) -> str:
    """Write a note.

    Args:
        text: What to write.
    """
    return "noted"


def _run(target: object, case: Case, parts: list[object]) -> Outcome:
    result = target(case, parts)  # type: ignore[operator]
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    assert isinstance(result, Outcome)
    return result


def test_an_agent_target_reports_answers_executions_pauses_and_what_was_sent() -> None:
    def make() -> Agent:
        model = ScriptedModel([ToolCall("note", {"text": "hi"}), "Noted hi for ana@example.org."])
        return Agent(model=model, tools=[note, pay], router=Router(), redact_pii="always")

    case = Case("a", "write hi, I am ana@example.org", expected={"exact": "x"})
    outcome = _run(agent_target(make), case, list(case.parts(__import__("pathlib").Path())))
    assert outcome.text == "Noted hi for ana@example.org."
    assert outcome.executed == ("note",) and not outcome.paused
    assert [c.name for c in outcome.tool_calls] == ["note"]
    assert any("<EMAIL_1>" in text for text in outcome.sent)
    assert not any("ana@example.org" in text for text in outcome.sent)
    assert outcome.details["steps"] == 2 and outcome.seconds > 0

    def gated() -> Agent:
        return Agent(
            model=ScriptedModel([ToolCall("pay", {"amount": 5})]), tools=[pay], router=Router()
        )

    paused = _run(agent_target(gated), Case("b", "pay", expected={"paused": True}), ["pay 5"])
    assert paused.paused and paused.executed == ()


def test_an_agent_target_needs_a_model() -> None:
    target = agent_target(lambda: Agent(kit=None, model=None))
    with pytest.raises(ConfigurationError, match="a kit or a model"):
        _run(target, Case("a", "x", expected={"exact": "x"}), [])


def test_a_model_target_is_one_turn_with_tools() -> None:
    model = FunctionModel(lambda messages, call: ToolCall("note", {"text": messages[-1].content}))
    outcome = _run(
        model_target(model, [note.schema()]), Case("a", "hello", expected={"exact": "x"}), []
    )
    assert outcome.tool_calls[0].arguments == {"text": "hello"}
    assert model.calls[0].tools[0]["function"]["name"] == "note"


def test_an_encoder_target_reads_the_first_medium() -> None:
    ocr = FixedEncoder("ocr", "image", "TOTAL 9.99", 0.8)
    picture = Image(np.zeros((8, 8, 3), dtype=np.uint8))
    outcome = _run(encoder_target(ocr), Case("a", expected={"exact": "x"}), [picture])
    assert outcome.text == "TOTAL 9.99"
    assert outcome.details["observations"][0]["confidence"] == 0.8
    with pytest.raises(ConfigurationError, match="no media"):
        _run(encoder_target(ocr), Case("b", "text only", expected={"exact": "x"}), [])
    with pytest.raises(ConfigurationError, match="no tags"):
        _run(encoder_target(ocr, top_tag=True), Case("c", expected={"exact": "x"}), [picture])

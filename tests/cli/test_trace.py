"""`/trace`: the observations, prompt sections, messages and tool calls behind an answer."""

from __future__ import annotations

from agentsdk import Agent, ScriptedModel, ToolCall, tool
from agentsdk.cli.trace import WIDTH, trace_lines
from agentsdk.router import Router
from tests.fakes import FixedEncoder, receipt


@tool(approval="never")
def pay(amount: float) -> str:
    """Pay an amount.

    Args:
        amount: How much.
    """
    return f"paid {amount}"


def test_the_trace_shows_what_the_answer_rests_on() -> None:
    ocr = FixedEncoder("ocr", "image", "TOTAL 12.50", 0.9)
    model = ScriptedModel([ToolCall("pay", {"amount": 12.5}), "Paid 12.50."])
    agent = Agent(model=model, tools=[pay], router=Router(image=[ocr]))
    lines = trace_lines(agent.run(["pay the total", receipt()]))
    assert lines[0].startswith("behind the last answer (run ")
    assert "2 model turn(s), finished: stop" in lines[0]
    assert "  ocr of receipt.png by ocr, confidence 0.90: TOTAL 12.50" in lines
    sections = lines.index(next(line for line in lines if line.startswith("prompt sections")))
    assert "tokens" in lines[sections]
    header = lines[sections + 1]
    assert header.startswith("  section 1: text read in the image (OCR) of receipt.png")
    assert "source ocr (fixed), confidence 0.90" in header and "<<<" not in header
    assert lines[sections + 2] == "    TOTAL 12.50"
    messages = lines.index("messages sent to the model:")
    assert lines[messages + 1].startswith("  system: ")
    assert lines[messages + 2].startswith("  user: pay the total ")
    assert "  assistant: [calls pay({'amount': 12.5})]" in lines
    assert "  tool: paid 12.5" in lines and "  assistant: Paid 12.50." in lines
    assert lines[-2:] == ["tool calls:", "  pay({'amount': 12.5}) -> paid 12.5"]


def test_a_bare_answer_says_there_was_nothing_behind_it_and_long_texts_are_cut() -> None:
    long = "word " * 100
    lines = trace_lines(Agent(model=ScriptedModel([long]), router=Router()).run("hi"))
    assert "observations: none" in lines
    assert "prompt sections: none (the user's text alone)" in lines
    assert "tool calls: none" in lines
    [answer] = [line for line in lines if line.startswith("  assistant: ")]
    assert answer.endswith("...") and len(answer) == len("  assistant: ") + WIDTH


def test_a_paused_run_shows_the_call_that_waits_and_failures_are_listed() -> None:
    class Broken:
        name, modality, cache_key = "ocr", "image", "broken"

        def encode(self, part: object) -> object:
            raise RuntimeError("cannot read")

    model = ScriptedModel([ToolCall("pay", {"amount": 3})])
    agent = Agent(
        model=model, tools=[pay], router=Router(image=[Broken()]), approvals={"pay": "always"}
    )
    lines = trace_lines(agent.run(["pay 3", receipt()]))
    assert any(line.startswith("  failed: ocr on part 1: ") for line in lines)
    assert "  pay({'amount': 3}) -> waiting for a decision" in lines
    assert lines[-1] == "waiting: 1 decision(s) (/resume decides)"

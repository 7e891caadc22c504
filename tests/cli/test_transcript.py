"""`/save`: the conversation as Markdown or JSON, one turn per run."""

from __future__ import annotations

import json
from pathlib import Path

from agentsdk import Agent, ScriptedModel, ToolCall, tool
from agentsdk.cli.transcript import EARLIER, ToolUse, Transcript, Turn
from agentsdk.router import Router
from tests.fakes import FixedEncoder, receipt


@tool(approval="never")
def pay(amount: float) -> str:
    """Pay an amount.

    Args:
        amount: How much.
    """
    return f"paid {amount}"


def _agent(*replies: str | ToolCall) -> Agent:
    ocr = FixedEncoder("ocr", "image", "TOTAL 12.50", 0.9)
    return Agent(model=ScriptedModel(list(replies)), tools=[pay], router=Router(image=[ocr]))


def test_a_turn_is_read_from_its_result() -> None:
    agent = _agent(ToolCall("pay", {"amount": 12.5}), "Paid 12.50.")
    turn = Turn.of(agent.run(["pay the total", receipt()]))
    assert turn.user == "pay the total"
    assert turn.attachments == ("receipt.png (image)",)
    assert turn.tools == (ToolUse("pay", {"amount": 12.5}, "paid 12.5"),)
    assert turn.answer == "Paid 12.50." and not turn.paused


def test_markdown_has_each_turn_with_attachments_tool_calls_and_answers() -> None:
    agent = _agent("Hello.", ToolCall("pay", {"amount": 12.5}), "Paid 12.50.")
    transcript = Transcript("chat-1")
    first = agent.run("hi")
    transcript.record(first)
    transcript.record(agent.run(["pay the total", receipt()], history=first))
    assert transcript.to_markdown() == (
        "# agentsdk chat chat-1\n\n"
        "## You\n\nhi\n\n## Agent\n\nHello.\n\n"
        "## You\n\npay the total\n\nAttached: receipt.png (image)\n\n## Agent\n\n"
        '- tool `pay({"amount": 12.5})`: paid 12.5\n\nPaid 12.50.\n'
    )


def test_json_when_the_file_ends_in_json(tmp_path: Path) -> None:
    transcript = Transcript()
    transcript.record(_agent(ToolCall("pay", {"amount": 2}), "Paid.").run("pay 2"))
    transcript.save(tmp_path / "chat.json")
    transcript.save(tmp_path / "chat.md")
    data = json.loads((tmp_path / "chat.json").read_text())
    [turn] = data["turns"]
    assert data["thread"] is None
    assert turn["user"] == "pay 2" and turn["answer"] == "Paid." and turn["attachments"] == []
    assert turn["tools"] == [
        {"name": "pay", "arguments": {"amount": 2}, "result": "paid 2.0", "is_error": False}
    ]
    assert (tmp_path / "chat.md").read_text().startswith("# agentsdk chat\n\n## You\n\npay 2")


def test_a_paused_run_is_one_turn_updated_when_it_goes_on() -> None:
    agent = _agent(ToolCall("pay", {"amount": 3}), "Paid 3.")
    agent.approvals = {"pay": "always"}
    transcript = Transcript()
    paused = agent.run("pay 3")
    transcript.record(paused)
    assert transcript.turns[0].paused
    assert "*(paused: waiting for a decision)*" in transcript.to_markdown()
    assert paused.state is not None
    transcript.record(agent.resume(paused.state.approve(paused.interruptions[0])))
    [turn] = transcript.turns
    assert turn.answer == "Paid 3." and not turn.paused and turn.user == "pay 3"


def test_a_resumed_conversation_says_its_earlier_turns_are_not_included() -> None:
    transcript = Transcript("chat-2", resumed=True)
    transcript.record(_agent("Hello.").run("hi"))
    assert transcript.to_markdown().startswith(f"# agentsdk chat chat-2\n\n{EARLIER}\n\n## You")
    assert json.loads(transcript.to_json())["resumed"] is True

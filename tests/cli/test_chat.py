"""The console chat: turns, attachments, decisions at the console, pause and resume."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentsdk import (
    Agent,
    AgentSDKError,
    ConfigurationError,
    ConsoleApprover,
    FunctionModel,
    Message,
    ScriptedModel,
    SQLiteCheckpointStore,
    ToolCall,
    tool,
)
from agentsdk.cli.chat import chat
from agentsdk.models.testing import ModelCall
from agentsdk.router import Router
from tests.fakes import FixedEncoder

paid: list[float] = []


@tool(approval="always")
def pay(amount: float) -> str:
    """Pay an amount.

    Args:
        amount: How much.
    """
    paid.append(amount)
    return f"paid {amount}"


def _console(*answers: str) -> tuple[list[str], ConsoleApprover, list[str]]:
    queue, said = list(answers), []

    def ask(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return queue, ConsoleApprover(ask=ask, say=said.append), said


def test_a_conversation_with_an_approval_at_the_console(tmp_path: Path) -> None:
    paid.clear()
    queue, approver, said = _console(
        f"/image {tmp_path / 'missing.png'}",
        "pay the bill",
        "e",
        '{"amount": 7}',
        "/quit",
    )
    model = ScriptedModel([ToolCall("pay", {"amount": 70}), "Paid 7."])
    agent = Agent(model=model, tools=[pay], approver=approver)
    assert chat(agent, ask=approver._ask, say=said.append) == 0
    assert paid == [7] and queue == []
    assert any(line.startswith("error: ") and "missing.png" in line for line in said)
    assert "agent> Paid 7." in said
    assert any("[tool pay({'amount': 7}) -> [a person changed the arguments" in s for s in said)


def test_a_paused_chat_resumes_later_from_the_database(tmp_path: Path) -> None:
    paid.clear()
    store = SQLiteCheckpointStore(tmp_path / "chat.db")
    _, first, said = _console("pay", "p")
    model = ScriptedModel([ToolCall("pay", {"amount": 3})])
    agent = Agent(model=model, tools=[pay], approver=first, checkpointer=store)
    chat(agent, ask=first._ask, say=said.append)
    [thread] = store.threads()
    assert any(f"(paused as thread {thread}: 1 decision(s) waiting)" in s for s in said)
    assert paid == []
    _, second, later = _console("a")
    agent = Agent(
        model=ScriptedModel(["Paid 3."]), tools=[pay], approver=second, checkpointer=store
    )
    chat(agent, ask=second._ask, say=later.append, resume=thread)
    assert paid == [3] and "agent> Paid 3." in later


def test_attachments_go_with_the_next_message(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    path = tmp_path / "note.png"
    PILImage.new("RGB", (32, 32), "white").save(path)
    ocr = FixedEncoder("ocr", "image", "hello", 0.9)
    model = ScriptedModel(["It says hello."])
    _, approver, said = _console(f"/image {path}", "/help", "read it")
    chat(Agent(model=model, router=Router(image=[ocr])), ask=approver._ask, say=said.append)
    assert ocr.calls == 1 and "(attached note.png)" in said
    assert "hello" in model.calls[0].messages[1].content


def _remembers(messages: list[Message], call: ModelCall) -> str:
    users = [m.content for m in messages if m.role == "user"]
    return f"{len(users)} messages from you; the first: {users[0]}"


def test_an_unknown_thread_is_a_typed_error_for_the_command_line(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "chat.db")
    _, approver, said = _console()
    agent = Agent(model=ScriptedModel([]), router=Router(), checkpointer=store)
    with pytest.raises(AgentSDKError, match="no saved run for thread 'nope'"):
        chat(agent, ask=approver._ask, say=said.append, resume="nope")
    assert said == []  # cli.main prints it, on stderr, and exits 2


def test_resume_without_a_store_is_a_typed_error() -> None:
    _, approver, said = _console()
    agent = Agent(model=ScriptedModel([]), router=Router())
    with pytest.raises(ConfigurationError, match="no checkpointer"):
        chat(agent, ask=approver._ask, say=said.append, resume="foo")


def test_a_paused_run_without_a_database_is_kept_for_the_session() -> None:
    paid.clear()
    queue, approver, said = _console("pay", "p", "pay now", "/resume", "a", "/quit")
    model = ScriptedModel([ToolCall("pay", {"amount": 3}), "Paid 3."])
    agent = Agent(model=model, tools=[pay], approver=approver)
    assert chat(agent, ask=approver._ask, say=said.append) == 0
    assert queue == [] and paid == [3]
    assert "(paused: 1 decision(s) waiting)" in said
    assert any("/resume decides now" in s and "no --db" in s for s in said)
    assert "(the last run still waits for a decision: /resume decides it now)" in said
    assert "agent> Paid 3." in said
    assert not any("dropped" in s for s in said)


def test_leaving_a_paused_run_without_a_database_warns() -> None:
    paid.clear()
    _, approver, said = _console("pay", "p")  # then end of input
    agent = Agent(
        model=ScriptedModel([ToolCall("pay", {"amount": 3})]), tools=[pay], approver=approver
    )
    assert chat(agent, ask=approver._ask, say=said.append) == 0
    assert paid == []
    assert said[-1] == (
        "(the paused run is dropped: start the chat with --db FILE to keep paused runs)"
    )


def test_resume_in_the_chat_goes_on_from_the_database(tmp_path: Path) -> None:
    paid.clear()
    store = SQLiteCheckpointStore(tmp_path / "chat.db")
    _, approver, said = _console("/resume", "pay", "p", "/resume", "a", "/quit")
    model = ScriptedModel([ToolCall("pay", {"amount": 5}), "Paid 5."])
    agent = Agent(model=model, tools=[pay], approver=approver, checkpointer=store)
    chat(agent, ask=approver._ask, say=said.append)
    [thread] = store.threads()
    assert said.count("(no run is paused)") == 1
    assert any(f"agentsdk chat --db FILE --resume {thread}" in s for s in said)
    assert paid == [5] and "agent> Paid 5." in said
    assert store.load(thread).phase == "finished"  # type: ignore[union-attr]


def test_resuming_a_finished_thread_continues_the_conversation(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "chat.db")
    _, first, said = _console("My name is Ana.")
    chat(
        Agent(model=ScriptedModel(["Hello Ana."]), router=Router(), checkpointer=store),
        ask=first._ask,
        say=said.append,
    )
    [thread] = store.threads()
    _, second, later = _console("What is my name?")
    agent = Agent(model=FunctionModel(_remembers), router=Router(), checkpointer=store)
    assert chat(agent, ask=second._ask, say=later.append, resume=thread) == 0
    assert f"(continuing the conversation {thread})" in later
    assert "agent> 2 messages from you; the first: My name is Ana." in later


def test_the_chat_remembers_earlier_turns() -> None:
    _, approver, said = _console("My name is Ana.", "What is my name?")
    chat(
        Agent(model=FunctionModel(_remembers), router=Router()), ask=approver._ask, say=said.append
    )
    assert "agent> 2 messages from you; the first: My name is Ana." in said


def test_the_chat_remembers_across_resume(tmp_path: Path) -> None:
    paid.clear()
    store = SQLiteCheckpointStore(tmp_path / "chat.db")
    _, first, said = _console("My name is Ana.", "pay 3", "p")
    script = ScriptedModel(["Hello Ana.", ToolCall("pay", {"amount": 3})])
    chat(
        Agent(model=script, tools=[pay], approver=first, checkpointer=store),
        ask=first._ask,
        say=said.append,
    )
    [thread] = store.threads()
    _, second, later = _console("a", "What is my name?")
    model = FunctionModel(
        lambda messages, call: (
            "Paid." if messages[-1].role == "tool" else _remembers(messages, call)
        )
    )
    agent = Agent(model=model, tools=[pay], approver=second, checkpointer=store)
    chat(agent, ask=second._ask, say=later.append, resume=thread)
    assert paid == [3] and "agent> Paid." in later
    assert "agent> 3 messages from you; the first: My name is Ana." in later
    assert store.threads() == [thread]


@pytest.mark.stock
def test_agentsdk_chat_at_a_real_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentsdk.cli",
            "chat",
            "--approve-tools",
            "--db",
            str(tmp_path / "c.db"),
        ],
        input="What is the capital of France?\na\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "agent> " in done.stdout


@pytest.mark.stock
def test_the_stock_chat_remembers_a_name_across_processes(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "agentsdk.cli", "chat", "--db", str(tmp_path / "c.db")]

    def talk(lines: str, *extra: str) -> str:
        done = subprocess.run(
            [*command, *extra], input=lines, capture_output=True, text=True, env=env, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = talk("My name is Ana.\n/quit\n")
    thread = re.findall(r"chat-[0-9a-f]{12}", first)[0]
    later = talk("What is my name?\n/quit\n", "--resume", thread)
    assert f"(continuing the conversation {thread})" in later
    answer = later.split("agent> ", 1)[1].splitlines()[0]
    assert "Ana" in answer
    fresh = talk("What is my name?\n/quit\n")  # a new conversation knows nothing
    assert "Ana" not in fresh.split("agent> ", 1)[1].splitlines()[0]


def test_answers_are_spoken_into_a_wav_file_and_a_pause_is_not(tmp_path: Path) -> None:
    from agentsdk import Audio
    from agentsdk.voices import EspeakVoice

    out = tmp_path / "answer.wav"
    model = ScriptedModel(["The total is twelve.", ToolCall("pay", {"amount": 3.0})])
    agent = Agent(model=model, tools=[pay], voice=EspeakVoice())
    said: list[str] = []
    lines = ["what is the total?", "pay it"]

    def typed(prompt: str) -> str:
        if not lines:
            raise EOFError
        return lines.pop(0)

    assert chat(agent, ask=typed, say=said.append, speak=out) == 0
    assert "(spoken into " + str(out) + ")" in said
    spoken = Audio(out)
    assert spoken.duration > 0.5
    assert said.count("(spoken into " + str(out) + ")") == 1  # the paused run was not spoken
    with pytest.raises(ConfigurationError, match="folder that exists"):
        chat(agent, ask=typed, say=said.append, speak=tmp_path / "missing" / "a.wav")


def test_the_answer_is_shown_piece_by_piece_as_the_model_writes_it() -> None:
    from tests.cli.test_streaming import Log, Paced

    screen = Log()
    typed = ["count", "again"]

    def ask(prompt: str) -> str:
        screen.log.append(("ask", prompt))
        if not typed:
            raise EOFError
        return typed.pop(0)

    model = Paced(lambda messages: f"{len(messages)} messages so far", screen)
    assert chat(Agent(model=model, router=Router()), ask=ask, screen=screen) == 0
    assert model.waits == [True] * 8  # each piece was on the screen before the next came
    turns = [entry for entry in screen.log if entry[0] != "say"]
    assert turns == [
        ("ask", "you> "),
        ("piece", "2 "),
        ("piece", "messages "),
        ("piece", "so "),
        ("piece", "far "),
        ("done", "2 messages so far"),
        ("ask", "you> "),
        ("piece", "4 "),
        ("piece", "messages "),
        ("piece", "so "),
        ("piece", "far "),
        ("done", "4 messages so far"),
        ("ask", "you> "),
    ]


def _reply(messages: list[Message]) -> str | ToolCall:
    last = messages[-1]
    if last.role == "tool":
        return f"Done: **{last.content}**."
    return ToolCall("pay", {"amount": 4}) if "pay" in last.content else "Hello, *you*."


def test_piped_output_is_plain_text_streamed_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    paid.clear()
    typed = ["hi", "pay it", "a"]
    approver = ConsoleApprover(ask=lambda _: typed.pop(0))
    agent = Agent(model=FunctionModel(_reply), tools=[pay], router=Router(), approver=approver)
    assert chat(agent, ask=lambda _: typed.pop(0) if typed else "/quit") == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out and paid == [4]
    lines = out.splitlines()
    assert "agent> Hello, *you*." in lines
    assert lines[-2:] == ["  [tool pay({'amount': 4}) -> paid 4.0]", "agent> Done: **paid 4.0**."]


def test_a_terminal_gets_the_answer_rendered_as_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    typed = ["hi"]
    agent = Agent(model=FunctionModel(_reply), router=Router())
    assert chat(agent, ask=lambda _: typed.pop(0) if typed else "/quit") == 0
    text = out.getvalue()
    assert "\x1b[3myou\x1b[0m" in text and "*you*" not in text  # italics, not asterisks


AGENT_FILE = """
from agentsdk import Agent, FunctionModel, ToolCall, tool
from agentsdk.router import Router


@tool(approval="always")
def pay(amount: float) -> str:
    \"\"\"Pay an amount.

    Args:
        amount: How much.
    \"\"\"
    return f"paid {amount}"


def reply(messages):
    last = messages[-1]
    if last.role == "tool":
        return f"Done: **{last.content}**."
    return ToolCall("pay", {"amount": 4}) if "pay" in last.content else "Hello, *you*."


agent = Agent(model=FunctionModel(reply), tools=[pay], router=Router())
"""


def test_agentsdk_chat_piped_with_an_agent_of_ones_own(tmp_path: Path) -> None:
    source = tmp_path / "mine.py"
    source.write_text(AGENT_FILE)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "agentsdk", "chat", "--agent", f"{source}:agent"],
        input=f"hi\npay it\na\n/save {tmp_path / 'chat.md'}\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout
    assert "agent> Hello, *you*." in done.stdout
    assert "  [tool pay({'amount': 4}) -> paid 4.0]\nagent> Done: **paid 4.0**.\n" in done.stdout
    assert "## You\n\npay it\n" in (tmp_path / "chat.md").read_text()


def test_ctrl_c_in_a_turn_stops_the_chat_and_says_where_to_go_on(tmp_path: Path) -> None:
    def interrupted(messages: list[Message]) -> str:
        raise KeyboardInterrupt

    store = SQLiteCheckpointStore(tmp_path / "chat.db")
    agent = Agent(model=FunctionModel(interrupted), router=Router(), checkpointer=store)
    typed, said = ["hello", "never read"], []
    assert chat(agent, ask=lambda _: typed.pop(0), say=said.append) == 130
    [thread] = store.threads()
    assert typed == ["never read"]
    assert said[-1] == (
        f"(stopped: agentsdk chat --db FILE --resume {thread} goes on from the last step saved)"
    )
    later: list[str] = []
    agent = Agent(model=ScriptedModel(["Hello again."]), router=Router(), checkpointer=store)
    assert chat(agent, ask=lambda _: "/quit", say=later.append, resume=thread) == 0
    assert "agent> Hello again." in later


def test_a_run_refused_after_its_answer_was_written_is_an_error_and_the_chat_goes_on() -> None:
    from agentsdk.safety import Guardrail, GuardrailVerdict

    def no_secrets(text: str, context: object) -> GuardrailVerdict:
        if "secret" in text:
            return GuardrailVerdict.trip("a secret")
        return GuardrailVerdict.ok()

    model = ScriptedModel(["the secret is 42", "fine"])
    agent = Agent(model=model, router=Router(), guardrails=[Guardrail(no_secrets, stage="output")])
    typed, said = ["tell me", "and now?"], []
    chat(agent, ask=lambda _: typed.pop(0) if typed else "/quit", say=said.append)
    [error] = [s for s in said if s.startswith("error: ")]
    assert "a secret" in error
    assert "agent> the secret is 42" in said  # streamed before the output guardrail ran
    assert said[-1] == "agent> fine"  # the pieces of the refused answer are not repeated

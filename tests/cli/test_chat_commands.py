"""The chat's commands, as a person types them: /video, /speak, /trace, /save, /help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentsdk import Agent, Observation, ScriptedModel, ToolCall, tool
from agentsdk.cli.chat import chat
from agentsdk.cli.chat_commands import HELP
from agentsdk.router import Router
from agentsdk.video import Video
from tests.cli.test_speaking import Tone
from tests.clips import make_clip
from tests.fakes import FixedEncoder


@tool(approval="never")
def pay(amount: float) -> str:
    """Pay an amount.

    Args:
        amount: How much.
    """
    return f"paid {amount}"


def _talk(agent: Agent, *lines: str) -> list[str]:
    """What the chat says when the person types `lines`, then ends the input."""
    typed, said = list(lines), []

    def ask(prompt: str) -> str:
        if not typed:
            raise EOFError
        return typed.pop(0)

    assert chat(agent, ask=ask, say=said.append) == 0
    assert typed == []
    return said


class Timeline:
    """A video encoder that notes the clips it reads."""

    name, modality, cache_key = "video", "video", "timeline"

    def __init__(self) -> None:
        self.clips: list[Video] = []

    def encode(self, part: Video) -> Observation:
        self.clips.append(part)
        return Observation(
            kind="video",
            text=f"a slide saying HELLO, {part.duration:.0f} s",
            confidence=0.8,
            encoder=self.name,
            model="",
            part_id=part.sha256,
            part_name=part.name,
            label="what the video shows",
        )


def test_a_video_goes_with_the_next_message(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_clip([("HELLO", 1.0)]))
    timeline = Timeline()
    model = ScriptedModel(["It says hello."])
    said = _talk(
        Agent(model=model, router=Router(encoders=[timeline])), f"/video {path}", "what is it?"
    )
    assert "(attached clip.mp4)" in said and "agent> It says hello." in said
    [clip] = timeline.clips
    assert clip.name == "clip.mp4" and clip.duration == pytest.approx(1.0, abs=0.2)
    prompt = model.calls[0].messages[-1].content
    assert "what the video shows of clip.mp4" in prompt and "a slide saying HELLO, 1 s" in prompt


def test_a_file_that_is_not_a_video_is_an_error_and_nothing_is_attached(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a video")
    said = _talk(Agent(model=ScriptedModel(["ok"]), router=Router()), f"/video {path}", "/video")
    assert any(s.startswith("error: ") and "notes.txt" in s for s in said)
    assert "(give a file: /video PATH)" in said and not any("attached" in s for s in said)


def test_speak_on_and_off_without_a_speak_file_uses_answer_wav_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    voice = Tone()
    agent = Agent(model=ScriptedModel(["One.", "Two.", "Three."]), router=Router(), voice=voice)
    said = _talk(agent, "/speak", "1", "/speak on", "2", "/speak off", "3")
    where = tmp_path / "answer.wav"
    assert "(answers are not spoken; /speak on|off switches)" in said
    assert f"(answers are spoken into {where}, each replacing the one before)" in said
    assert said.count(f"(spoken into {where})") == 1 and voice.texts == ["Two."]
    assert where.exists()


def test_speak_off_and_on_again_with_a_speak_file(tmp_path: Path) -> None:
    voice, out = Tone(), tmp_path / "out.wav"
    agent = Agent(model=ScriptedModel(["One.", "Two."]), router=Router(), voice=voice)
    typed, said = ["/speak off", "1", "/speak on", "2"], []
    chat(agent, ask=lambda _: typed.pop(0) if typed else "/quit", say=said.append, speak=out)
    started = f"(answers are spoken into {out}, each replacing the one before: /speak off stops)"
    assert said[1] == started
    assert voice.texts == ["Two."] and said.count(f"(spoken into {out})") == 1


def test_trace_shows_what_lies_behind_the_last_answer() -> None:
    model = ScriptedModel([ToolCall("pay", {"amount": 12.5}), "Paid 12.50."])
    said = _talk(Agent(model=model, tools=[pay], router=Router()), "/trace", "pay", "/trace")
    assert "(no answer yet: /trace shows what lies behind the last one)" in said
    behind = said.index(next(s for s in said if s.startswith("behind the last answer")))
    assert said[behind + 1 :] == [
        "observations: none",
        "prompt sections: none (the user's text alone)",
        "messages sent to the model:",
        said[behind + 4],  # the system message
        "  user: pay",
        "  assistant: [calls pay({'amount': 12.5})]",
        "  tool: paid 12.5",
        "  assistant: Paid 12.50.",
        "tool calls:",
        "  pay({'amount': 12.5}) -> paid 12.5",
    ]
    assert said[behind + 4].startswith("  system: You are a helpful assistant.")


def test_trace_lists_observations_and_prompt_sections(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    path = tmp_path / "note.png"
    PILImage.new("RGB", (32, 32), "white").save(path)
    ocr = FixedEncoder("ocr", "image", "hello", 0.9)
    said = _talk(
        Agent(model=ScriptedModel(["It says hello."]), router=Router(image=[ocr])),
        f"/image {path}",
        "read it",
        "/trace",
    )
    assert "  ocr of note.png by ocr, confidence 0.90: hello" in said
    assert any(s.startswith("  section 1: text read in the image (OCR) of note.png") for s in said)
    assert "    hello" in said


def test_save_writes_the_conversation_as_markdown_or_json(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    path = tmp_path / "note.png"
    PILImage.new("RGB", (32, 32), "white").save(path)
    ocr = FixedEncoder("ocr", "image", "TOTAL 12.50", 0.9)
    model = ScriptedModel(["Hello.", ToolCall("pay", {"amount": 12.5}), "Paid **12.50**."])
    agent = Agent(model=model, tools=[pay], router=Router(image=[ocr]))
    md, js = tmp_path / "chat.md", tmp_path / "chat.json"
    said = _talk(
        agent, "hi", f"/image {path}", "pay the total", f"/save {md}", f"/save {js}", "/save"
    )
    assert f"(saved 2 turn(s) to {md})" in said and f"(saved 2 turn(s) to {js})" in said
    assert "(give a file: /save PATH.md, or PATH.json for JSON)" in said
    text = md.read_text()
    assert text.startswith("# agentsdk chat\n\n## You\n\nhi\n\n## Agent\n\nHello.\n")
    assert "## You\n\npay the total\n\nAttached: note.png (image)\n" in text
    assert '- tool `pay({"amount": 12.5})`: paid 12.5\n\nPaid **12.50**.\n' in text
    turns = json.loads(js.read_text())["turns"]
    assert [t["user"] for t in turns] == ["hi", "pay the total"]
    assert turns[1]["attachments"] == ["note.png (image)"]
    assert turns[1]["tools"][0]["arguments"] == {"amount": 12.5}
    assert turns[1]["answer"] == "Paid **12.50**."


def test_save_into_a_missing_folder_says_so_and_the_chat_goes_on(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "chat.md"
    said = _talk(
        Agent(model=ScriptedModel(["ok", "still here"]), router=Router()),
        "hi",
        f"/save {target}",
        "again",
    )
    assert any(s.startswith(f"error: cannot write {target}: ") for s in said)
    assert "agent> still here" in said


def test_help_lists_every_command_and_an_unknown_one_points_to_it() -> None:
    said = _talk(Agent(model=ScriptedModel([]), router=Router()), "/help", "/fly")
    assert HELP in said and "(unknown command /fly: /help lists the commands)" in said
    for command in ("/image", "/audio", "/video", "/speak", "/trace", "/save", "/resume"):
        assert command in HELP

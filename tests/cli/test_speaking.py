"""Spoken answers in the chat: `--speak OUT.wav`, `/speak on|off`, ./answer.wav."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentsdk import Agent, Audio, ConfigurationError, ScriptedModel, ToolCall, tool
from agentsdk.cli.speaking import DEFAULT_FILE, Speaker
from agentsdk.router import Router


class Tone:
    """A voice that notes what it says and says it as a short tone."""

    name = "tone"
    sample_rate = 16_000

    def __init__(self) -> None:
        self.texts: list[str] = []

    def synthesize(self, text: str) -> Audio:
        self.texts.append(text)
        t = np.arange(1600) / self.sample_rate
        return Audio((0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sample_rate=16_000)


@tool(approval="always")
def pay(amount: float) -> str:
    """Pay an amount.

    Args:
        amount: How much.
    """
    return f"paid {amount}"


def test_off_until_switched_on_then_into_answer_wav_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    voice = Tone()
    agent = Agent(model=ScriptedModel(["One.", "Two.", "Three."]), router=Router(), voice=voice)
    speaker = Speaker(agent)
    assert not speaker.on and speaker.speak(agent.run("1")) is None
    where = tmp_path / DEFAULT_FILE
    assert (
        speaker.switch(True) == f"(answers are spoken into {where}, each replacing the one before)"
    )
    assert speaker.speak(agent.run("2")) == f"(spoken into {where})"
    assert Audio(where).duration == pytest.approx(0.1)
    assert speaker.switch(False).startswith("(answers are not spoken")
    assert speaker.speak(agent.run("3")) is None
    assert voice.texts == ["Two."]


def test_a_speak_file_is_on_at_once_and_pauses_and_empty_answers_are_not_spoken(
    tmp_path: Path,
) -> None:
    voice, out = Tone(), tmp_path / "out.wav"
    model = ScriptedModel([ToolCall("pay", {"amount": 1}), "  "])
    agent = Agent(model=model, tools=[pay], router=Router(), voice=voice)
    speaker = Speaker(agent, out)
    assert speaker.on
    assert speaker.state() == f"answers are spoken into {out}, each replacing the one before"
    paused = agent.run("pay")
    assert speaker.speak(paused) is None
    assert paused.state is not None
    assert speaker.speak(agent.resume(paused.state.approve(paused.interruptions[0]))) is None
    assert voice.texts == [] and not out.exists()


def test_a_file_in_a_missing_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    agent = Agent(model=ScriptedModel([]), router=Router(), voice=Tone())
    with pytest.raises(ConfigurationError, match="folder that exists"):
        Speaker(agent, tmp_path / "missing" / "a.wav")

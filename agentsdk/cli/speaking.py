"""Spoken answers in `agentsdk chat`: `--speak OUT.wav` and `/speak on|off`.

When speaking is on, each finished answer is spoken by the agent's voice
(`agentsdk.run.voice_of`) into one WAV file, the newest answer replacing the one before:
the `--speak` file, or `answer.wav` in the current folder when the chat started without
one. The voice is found when speaking is switched on, so a missing voice says so then.
"""

from __future__ import annotations

from pathlib import Path

from agentsdk.agent import Agent
from agentsdk.cli.demo import check_speak_path
from agentsdk.run import RunResult, voice_of
from agentsdk.voices import SpeechSynthesizer

__all__ = ["DEFAULT_FILE", "Speaker"]

DEFAULT_FILE = "answer.wav"
"""Where `/speak on` speaks, in the current folder, when the chat has no `--speak` file."""


class Speaker:
    """Speaks an agent's finished answers into a WAV file while it is on."""

    def __init__(self, agent: Agent, path: Path | None = None) -> None:
        """On at once when given a `path` (raises `AgentSDKError` when it has no folder
        or the agent no voice); off otherwise."""
        self.agent = agent
        self.path = path
        self.voice: SpeechSynthesizer | None = None
        self.on = False
        if path is not None:
            self.switch(True)

    def switch(self, on: bool) -> str:
        """Switch speaking on or off; what to tell the person."""
        if on:
            path = self.path if self.path is not None else Path.cwd() / DEFAULT_FILE
            check_speak_path(path)
            if self.voice is None:
                self.voice = voice_of(self.agent)
            self.path = path
        self.on = on
        return f"({self.state()})"

    def state(self) -> str:
        """Whether answers are spoken, and where."""
        if self.on:
            return f"answers are spoken into {self.path}, each replacing the one before"
        return "answers are not spoken"

    def speak(self, result: RunResult) -> str | None:
        """Speak `result`'s answer when on (not a pause, not an empty answer); what to
        tell the person, or None when nothing was spoken."""
        if not self.on or self.voice is None or self.path is None:
            return None
        if result.paused or not result.text.strip():
            return None
        self.path.write_bytes(self.voice.synthesize(result.text).wav_bytes())
        return f"(spoken into {self.path})"

"""The slash commands of `agentsdk chat` (listed in `HELP`), each a method of `Commands`.

A command that fails on the person's input (a missing file, a folder that does not
exist) raises `AgentSDKError` or says why; the chat goes on either way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agentsdk.cli.trace import trace_lines
from agentsdk.media import Audio, Image, Media
from agentsdk.video import Video

if TYPE_CHECKING:
    from agentsdk.cli.chat import Chat

__all__ = ["HELP", "MEDIA", "Commands"]

HELP = """\
type a message to talk; commands:
  /image PATH    attach an image to your next message
  /audio PATH    attach a sound file (what is said is transcribed)
  /video PATH    attach a video clip (its frames are read, its sound heard)
  /speak on|off  speak each answer into a WAV file (--speak OUT.wav, else ./answer.wav)
  /trace         what lies behind the last answer: observations, prompt sections,
                 messages sent to the model, tool calls and their results
  /save PATH     write the conversation so far (Markdown; JSON when PATH ends in .json)
  /resume        decide on a paused run now
  /help          this list
  /quit          leave (so does end of input)"""

MEDIA: dict[str, Callable[[Path], Media]] = {"/image": Image, "/audio": Audio, "/video": Video}
"""The attaching commands and the media part each makes of its file."""


def _path(argument: str) -> Path:
    """A path as typed: `~` expanded, and quotes around it (a file dropped on a terminal)
    taken off."""
    if len(argument) > 1 and argument[0] == argument[-1] and argument[0] in "'\"":
        argument = argument[1:-1]
    return Path(argument).expanduser()


class Commands:
    """Runs the chat's slash commands."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.table: dict[str, Callable[[str, str], None]] = {
            **dict.fromkeys(MEDIA, self.attach),
            "/speak": self.speak,
            "/trace": self.trace,
            "/save": self.save,
            "/resume": self.resume,
            "/help": self.help,
        }

    def run(self, line: str) -> None:
        """Run the command `line` ("/NAME ARGUMENT")."""
        name, _, argument = line.partition(" ")
        command = self.table.get(name)
        if command is None:
            self.chat.say(f"(unknown command {name}: /help lists the commands)")
            return
        command(name, argument.strip())

    def attach(self, name: str, argument: str) -> None:
        if not argument:
            self.chat.say(f"(give a file: {name} PATH)")
            return
        path = _path(argument)
        self.chat.attached.append(MEDIA[name](path))  # a bad file raises MediaError
        self.chat.say(f"(attached {path.name})")

    def speak(self, name: str, argument: str) -> None:
        speaker = self.chat.speaker
        if argument.lower() in ("on", "off"):
            self.chat.say(speaker.switch(argument.lower() == "on"))
        else:
            self.chat.say(f"({speaker.state()}; {name} on|off switches)")

    def trace(self, name: str, argument: str) -> None:
        last = self.chat.last
        if last is None:
            self.chat.say("(no answer yet: /trace shows what lies behind the last one)")
            return
        for line in trace_lines(last):
            self.chat.say(line)

    def save(self, name: str, argument: str) -> None:
        if not argument:
            self.chat.say(f"(give a file: {name} PATH.md, or PATH.json for JSON)")
            return
        path = _path(argument)
        transcript = self.chat.transcript
        try:
            transcript.save(path)
        except OSError as exc:
            self.chat.say(f"error: cannot write {path}: {exc.strerror or exc}")
            return
        self.chat.say(f"(saved {len(transcript.turns)} turn(s) to {path})")

    def resume(self, name: str, argument: str) -> None:
        self.chat.go_on()

    def help(self, name: str, argument: str) -> None:
        self.chat.say(HELP)

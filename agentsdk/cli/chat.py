"""`agentsdk chat`: talk with an agent at the terminal; a person decides at the console.

Each line is one turn; the answer appears as the model writes it (`Agent.stream`), as
Markdown rendered by rich on a terminal and as plain text when the output is piped
(`agentsdk.cli.screen`). Tool calls show with their arguments and results as they return.
Commands (`HELP`):

- `/image PATH`, `/audio PATH`, `/video PATH` attach a file to the next message;
- `/speak on|off` speaks each answer into the `--speak` WAV file, else `./answer.wav`
  (`agentsdk.cli.speaking`);
- `/trace` shows what lies behind the last answer: observations, the prompt sections
  fusion built, the messages sent to the model, the tool calls (`agentsdk.cli.trace`);
- `/save PATH` writes the conversation so far, as Markdown or (`.json`) JSON
  (`agentsdk.cli.transcript`);
- `/resume` decides on a paused run; `/help`; `/quit` (or end of input) leaves.

Interruptions (a gated tool call, an unsure transcript) are put to the person at the
console (`ConsoleApprover`) in the middle of the streamed turn, once what was written
before them is on the screen: approve, edit, reject, respond, confirm, correct - or
pause. A paused run waits: `/resume` puts its decisions to the person again. With a
checkpoint store it is saved as well, to resume later with `agentsdk chat --db FILE
--resume THREAD`; without one it lives only until the chat ends (the chat says so when it
leaves one behind).

The chat remembers: every turn continues the same conversation (a thread in the
checkpoint store when there is one, else the previous result), within the agent's
history budget; `--resume THREAD` picks the conversation up where it stopped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from agentsdk.agent import Agent
from agentsdk.cli.chat_commands import HELP, Commands
from agentsdk.cli.screen import LineScreen, Screen, terminal_screen
from agentsdk.cli.speaking import Speaker
from agentsdk.cli.streaming import TurnView, replay, stream_turn
from agentsdk.cli.transcript import Transcript
from agentsdk.errors import AgentSDKError, ConfigurationError
from agentsdk.messages import Part
from agentsdk.run import RunResult

__all__ = ["HELP", "INTRO", "Chat", "chat"]

INTRO = "type a message; /help lists the commands (/image /audio /video /speak /trace /save)"


class Chat:
    """One conversation: its agent, where it is shown, its thread and its last result."""

    def __init__(
        self, agent: Agent, screen: Screen, runner: asyncio.Runner, speaker: Speaker
    ) -> None:
        self.agent, self.screen, self.runner, self.speaker = agent, screen, runner, speaker
        self.view = TurnView(screen)
        self.thread: str | None = None
        self.last: RunResult | None = None
        self.attached: list[Part] = []
        self.transcript = Transcript()

    def say(self, line: str) -> None:
        self.screen.say(line)

    def start(self, resume: str | None) -> None:
        """Open a new thread (with a store), or pick `resume` up: a finished
        conversation goes on; a paused run is resumed now.

        Raises AgentSDKError when `resume` cannot be picked up: no checkpoint store to
        find it in, an unknown thread, a thread another process holds."""
        store = self.agent.checkpointer
        if resume is None:
            if store is not None:
                self.thread = f"chat-{uuid.uuid4().hex[:12]}"
                self.say(
                    f"(conversation {self.thread}: continue it later with --resume {self.thread})"
                )
        else:
            self.thread = resume
            saved = store.load(resume) if store is not None else None
            if saved is not None and saved.phase == "finished":
                self.say(f"(continuing the conversation {resume})")
            else:
                self.finished(replay(self.agent.resume(resume), self.view))
        self.transcript.thread, self.transcript.resumed = self.thread, resume is not None

    def send(self, line: str) -> None:
        """A new turn: `line` and the files attached since the last one."""
        if self.last is not None and self.last.paused:
            self.say("(the last run still waits for a decision: /resume decides it now)")
            return
        inputs, self.attached = [line, *self.attached], []
        history = self.last if self.thread is None else None
        result = stream_turn(
            self.runner, self.agent, inputs, self.view, thread_id=self.thread, history=history
        )
        self.finished(result)

    def go_on(self) -> None:
        """Resume the paused run: from the store when it keeps the thread (it may have
        moved on since), else from the state this session holds in memory."""
        paused = self.last
        if paused is None or not paused.paused:
            self.say("(no run is paused)")
            return
        if self.agent.checkpointer is not None and self.thread is not None:
            result = self.agent.resume(self.thread)
        elif paused.state is None:
            raise ConfigurationError("the paused run kept no state to resume from")
        else:
            result = self.agent.resume(paused.state)
        self.finished(replay(result, self.view))

    def finished(self, result: RunResult) -> None:
        """A run ended (its answer and tool calls are on the screen): keep it, say
        where a pause waits, speak the answer."""
        self.last = result
        self.transcript.record(result)
        if result.paused:
            self._paused(result)
        spoken = self.speaker.speak(result)
        if spoken is not None:
            self.say(spoken)

    def _paused(self, result: RunResult) -> None:
        state = result.state
        thread = state.thread_id if state is not None else None
        where = f" as thread {thread}" if thread else ""
        self.say(f"(paused{where}: {len(result.interruptions)} decision(s) waiting)")
        if thread:
            self.say(
                f"  /resume decides now; or /quit, then: agentsdk chat --db FILE --resume {thread}"
            )
        else:
            self.say(
                "  /resume decides now; it is not saved (no --db): it is lost when the chat ends"
            )

    def stopped(self) -> int:
        """Ctrl-C in a turn cancelled its run: end the chat (status 130)."""
        self.view.end_answer()
        if self.thread is not None and self.agent.checkpointer is not None:
            self.say(
                f"(stopped: agentsdk chat --db FILE --resume {self.thread} goes on from "
                "the last step saved)"
            )
        else:
            self.say("(stopped)")
        return 130

    def leave(self) -> int:
        """End the chat (status 0), warning when a paused run is lost with it."""
        last = self.last
        if last is not None and last.paused and self.agent.checkpointer is None:
            self.say(
                "(the paused run is dropped: start the chat with --db FILE to keep paused runs)"
            )
        return 0


def _screen(say: Callable[[str], None] | None, screen: Screen | None) -> Screen:
    if screen is not None:
        return screen
    return LineScreen(say) if say is not None else terminal_screen()


def chat(
    agent: Agent,
    *,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] | None = None,
    screen: Screen | None = None,
    resume: str | None = None,
    speak: Path | None = None,
) -> int:
    """Run the conversation until /quit or end of input; returns an exit status: 0, or
    130 when Ctrl-C stops a turn (its run is cancelled; a thread keeps its last step).

    Output goes to `screen`; else, given `say`, one line per call (each answer whole,
    `agent> TEXT`, when its turn ends); else to stdout (`terminal_screen`: streamed,
    Markdown on a terminal). With `speak`, each answer is also spoken into that WAV file
    (the newest answer; `/speak off` stops).

    Raises AgentSDKError when `resume` cannot be resumed (see `Chat.start`) or `speak` has
    no voice or folder; errors within a turn (a missing file, a refused run) are said and
    the chat goes on."""
    shown = _screen(say, screen)
    speaker = Speaker(agent, speak)
    with asyncio.Runner() as runner:
        session = Chat(agent, shown, runner, speaker)
        session.start(resume)
        commands = Commands(session)
        shown.say(INTRO)
        if speaker.on:
            shown.say(f"({speaker.state()}: /speak off stops)")
        while True:
            try:
                line = ask("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                return session.leave()
            if line in ("/quit", "/exit"):
                return session.leave()
            try:
                if line.startswith("/"):
                    commands.run(line)
                elif line:
                    session.send(line)
            except AgentSDKError as exc:  # a bad file or a refused run: say so, keep going
                session.view.end_answer()
                shown.say(f"error: {exc}")
            except KeyboardInterrupt:  # Ctrl-C in a turn: the run was cancelled
                return session.stopped()

"""`agentsdk chat`: talk with an agent at the terminal; a person decides at the console.

Each line is one turn. `/image PATH` and `/audio PATH` attach media to the next turn,
`/quit` (or end of input) leaves. Interruptions (a gated tool call, an unsure
transcript) are put to the person at the console (`ConsoleApprover`): approve, edit,
reject, respond, confirm, correct - or pause. A paused run waits: `/resume` puts its
decisions to the person again. With a checkpoint store it is saved as well, to resume
later with `agentsdk chat --db FILE --resume THREAD`; without one it lives only until the
chat ends (the chat says so when it leaves one behind).

The chat remembers: every turn continues the same conversation (a thread in the
checkpoint store when there is one, else the previous result), within the agent's
history budget; `--resume THREAD` picks the conversation up where it stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from agentsdk.agent import Agent
from agentsdk.cli.demo import check_speak_path
from agentsdk.errors import AgentSDKError, ConfigurationError
from agentsdk.media import Audio, Image
from agentsdk.messages import Part
from agentsdk.run import RunResult, voice_of
from agentsdk.voices import SpeechSynthesizer

__all__ = ["HELP", "chat"]

HELP = (
    "type a message; /image PATH or /audio PATH attaches a file to your next message; "
    "/resume decides on a paused run; /quit leaves"
)


def _show(result: RunResult, say: Callable[[str], None]) -> None:
    for call, outcome in zip(result.tool_calls, result.tool_results, strict=False):
        say(f"  [tool {call.name}({dict(call.arguments)}) -> {outcome.content}]")
    if not result.paused:
        say(f"agent> {result.text}")
        return
    state = result.state
    thread = state.thread_id if state is not None else None
    where = f" as thread {thread}" if thread else ""
    say(f"(paused{where}: {len(result.interruptions)} decision(s) waiting)")
    if thread:
        say(f"  /resume decides now; or /quit, then: agentsdk chat --db FILE --resume {thread}")
    else:
        say("  /resume decides now; it is not saved (no --db): it is lost when the chat ends")


def _start(
    agent: Agent, resume: str | None, say: Callable[[str], None]
) -> tuple[str | None, RunResult | None]:
    """The thread the chat talks on, and the result of resuming `resume` if it was paused.

    Raises AgentSDKError when `resume` cannot be picked up: no checkpoint store to find
    it in, an unknown thread, a thread another process holds."""
    store = agent.checkpointer
    if resume is None:
        thread = f"chat-{uuid.uuid4().hex[:12]}" if store is not None else None
        if thread is not None:
            say(f"(conversation {thread}: continue it later with --resume {thread})")
        return thread, None
    saved = store.load(resume) if store is not None else None
    if saved is not None and saved.phase == "finished":
        say(f"(continuing the conversation {resume})")
        return resume, None
    last = agent.resume(resume)
    _show(last, say)
    return resume, last


def _go_on(agent: Agent, thread: str | None, paused: RunResult) -> RunResult:
    """Resume a paused run: from the store when it keeps the thread (it may have moved on
    since), else from the state this session holds in memory."""
    if agent.checkpointer is not None and thread is not None:
        return agent.resume(thread)
    if paused.state is None:
        raise ConfigurationError("the paused run kept no state to resume from")
    return agent.resume(paused.state)


def _voice(agent: Agent, speak: Path | None) -> SpeechSynthesizer | None:
    """The voice for `speak`, found before the chat starts (so a missing one says so at
    once); None when answers are not spoken."""
    if speak is None:
        return None
    check_speak_path(speak)
    return voice_of(agent)


def _leave(agent: Agent, last: RunResult | None, say: Callable[[str], None]) -> int:
    """End the chat (status 0), warning when a paused run is lost with it."""
    if last is not None and last.paused and agent.checkpointer is None:
        say("(the paused run is dropped: start the chat with --db FILE to keep paused runs)")
    return 0


def chat(
    agent: Agent,
    *,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
    resume: str | None = None,
    speak: Path | None = None,
) -> int:
    """Run the conversation until /quit or end of input; returns an exit status (0).
    With `speak`, each answer is also spoken into that WAV file (the newest answer).

    Raises AgentSDKError when `resume` cannot be resumed (see `_start`) or `speak` has no
    voice or folder; errors within a turn (a missing file, a refused run) are said and
    the chat goes on."""
    voice = _voice(agent, speak)
    thread, last = _start(agent, resume, say)
    say(HELP)
    attached: list[Part] = []
    while True:
        try:
            line = ask("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            return _leave(agent, last, say)
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return _leave(agent, last, say)
        command, _, argument = line.partition(" ")
        try:
            if command in ("/image", "/audio"):
                path = Path(argument.strip()).expanduser()
                part = Image(path) if command == "/image" else Audio(path)
                attached.append(part)
                say(f"(attached {path.name})")
                continue
            if command == "/resume":
                if last is None or not last.paused:
                    say("(no run is paused)")
                    continue
                result = _go_on(agent, thread, last)
            elif command.startswith("/"):
                say(HELP)
                continue
            elif last is not None and last.paused:
                say("(the last run still waits for a decision: /resume decides it now)")
                continue
            elif thread is not None:
                result = agent.run([line, *attached], thread_id=thread)
                attached = []
            else:
                result = agent.run([line, *attached], history=last)
                attached = []
        except AgentSDKError as exc:  # a bad file or a refused run: say so, keep going
            say(f"error: {exc}")
            continue
        last = result
        _show(result, say)
        if voice is not None and speak is not None and not result.paused and result.text:
            speak.write_bytes(voice.synthesize(result.text).wav_bytes())
            say(f"(spoken into {speak})")

"""`agentsdk chat`: talk with an agent at the terminal; a person decides at the console.

Each line is one turn. `/image PATH` and `/audio PATH` attach media to the next turn,
`/quit` (or end of input) leaves. Interruptions (a gated tool call, an unsure
transcript) are put to the person at the console (`ConsoleApprover`): approve, edit,
reject, respond, confirm, correct - or pause, which leaves the run saved in the
checkpoint store, to resume later with `agentsdk chat --db FILE --resume THREAD`.

The chat remembers: every turn continues the same conversation (a thread in the
checkpoint store when there is one, else the previous result), within the agent's
history budget; `--resume THREAD` picks the conversation up where it stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from agentsdk.agent import Agent
from agentsdk.errors import AgentSDKError
from agentsdk.media import Audio, Image
from agentsdk.run import Part, RunResult

__all__ = ["HELP", "chat"]

HELP = (
    "type a message; /image PATH or /audio PATH attaches a file to your next message; /quit leaves"
)


def _show(result: RunResult, say: Callable[[str], None]) -> None:
    for call, outcome in zip(result.tool_calls, result.tool_results, strict=False):
        say(f"  [tool {call.name}({dict(call.arguments)}) -> {outcome.content}]")
    if result.paused:
        state = result.state
        where = f" as thread {state.thread_id}" if state is not None and state.thread_id else ""
        say(f"(paused{where}: {len(result.interruptions)} decision(s) waiting)")
    else:
        say(f"agent> {result.text}")


def chat(
    agent: Agent,
    *,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
    resume: str | None = None,
) -> int:
    """Run the conversation until /quit or end of input; returns an exit status."""
    store = agent.checkpointer
    thread = resume or (f"chat-{uuid.uuid4().hex[:12]}" if store is not None else None)
    last: RunResult | None = None
    if resume is not None:
        saved = store.load(resume) if store is not None else None
        if saved is not None and saved.phase == "finished":
            say(f"(continuing the conversation {resume})")
        else:
            try:
                last = agent.resume(resume)
            except AgentSDKError as exc:  # an unknown thread, or no store to find it in
                say(f"error: {exc}")
                return 2
            _show(last, say)
    elif thread is not None:
        say(f"(conversation {thread}: continue it later with --resume {thread})")
    say(HELP)
    attached: list[Part] = []
    while True:
        try:
            line = ask("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            return 0
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return 0
        command, _, argument = line.partition(" ")
        try:
            if command in ("/image", "/audio"):
                path = Path(argument.strip()).expanduser()
                part = Image(path) if command == "/image" else Audio(path)
                attached.append(part)
                say(f"(attached {path.name})")
                continue
            if command.startswith("/"):
                say(HELP)
                continue
            if last is not None and last.paused:
                say("(the last run still waits for a decision: /quit, then --resume it)")
                continue
            if thread is not None:
                result = agent.run([line, *attached], thread_id=thread)
            else:
                result = agent.run([line, *attached], history=last)
        except AgentSDKError as exc:  # a bad file or a refused run: say so, keep going
            say(f"error: {exc}")
            continue
        attached = []
        last = result
        _show(result, say)

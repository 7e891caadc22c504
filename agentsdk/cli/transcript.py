"""What `agentsdk chat` keeps of a conversation for `/save`: each turn's words, the files
attached (by name), the tool calls with their arguments and results, and the answer;
written as Markdown, or as JSON when the file's name ends in `.json`.

A turn is read from its run's result (`RunResult.state` keeps the user's text and a
description of each part), so a run that paused and went on later is one turn, updated.
The transcript holds this session's turns: a conversation picked up with `--resume` says
that its earlier turns are not included (the store keeps them only as the model read
them, fused and trimmed to the history budget).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agentsdk.run import RunResult

__all__ = ["EARLIER", "ToolUse", "Transcript", "Turn"]

EARLIER = "*(the conversation was resumed: its turns before this session are not included)*"


@dataclass(frozen=True, slots=True)
class ToolUse:
    """One tool call of a turn and what came back."""

    name: str
    arguments: dict[str, Any]
    result: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Turn:
    """What was said and done in one turn."""

    run_id: str
    user: str
    """The person's words."""
    attachments: tuple[str, ...]
    """The files that went with them, by name: "note.png (image)"."""
    tools: tuple[ToolUse, ...]
    answer: str
    paused: bool = False
    """The run waits for a person's decision (it has no answer yet)."""

    @classmethod
    def of(cls, result: RunResult) -> Turn:
        state = result.state
        parts = state.parts if state is not None else []
        calls = {call.id: call for call in result.tool_calls}
        tools = tuple(
            ToolUse(
                outcome.name,
                dict(calls[outcome.call_id].arguments) if outcome.call_id in calls else {},
                outcome.content,
                outcome.is_error,
            )
            for outcome in result.tool_results
        )
        return cls(
            run_id=result.run_id,
            user=state.user_text if state is not None else "",
            attachments=tuple(_attachment(p) for p in parts if p != "text"),
            tools=tools,
            answer="" if result.paused else result.text,
            paused=result.paused,
        )

    def to_markdown(self) -> str:
        lines = ["## You", "", self.user or "(no words)", ""]
        if self.attachments:
            lines += ["Attached: " + ", ".join(self.attachments), ""]
        lines += ["## Agent", ""]
        for use in self.tools:
            marker = " (error)" if use.is_error else ""
            arguments = json.dumps(use.arguments, default=str)
            lines.append(f"- tool `{use.name}({arguments})`{marker}: {use.result}")
        if self.tools:
            lines.append("")
        lines += ["*(paused: waiting for a decision)*" if self.paused else self.answer, ""]
        return "\n".join(lines)


def _attachment(description: str) -> str:
    """ "image note.png" -> "note.png (image)"; a part without a name keeps its kind."""
    kind, _, name = description.partition(" ")
    return f"{name} ({kind})" if name else kind


class Transcript:
    """The turns of one chat, in order."""

    def __init__(self, thread: str | None = None, *, resumed: bool = False) -> None:
        self.thread = thread
        self.resumed = resumed
        """The chat picked the thread up (`--resume`): its turns before that are not here."""
        self.turns: list[Turn] = []

    def record(self, result: RunResult) -> None:
        """Add the turn of `result`, or update it when its run is already there."""
        turn = Turn.of(result)
        for index, earlier in enumerate(self.turns):
            if earlier.run_id == turn.run_id:
                self.turns[index] = turn
                return
        self.turns.append(turn)

    def to_markdown(self) -> str:
        title = f"# agentsdk chat {self.thread}" if self.thread else "# agentsdk chat"
        head = [title, "", EARLIER, ""] if self.resumed else [title, ""]
        return "\n".join([*head, *(turn.to_markdown() for turn in self.turns)])

    def to_json(self) -> str:
        data = {
            "thread": self.thread,
            "resumed": self.resumed,
            "turns": [asdict(turn) for turn in self.turns],
        }
        return json.dumps(data, indent=2, default=str) + "\n"

    def save(self, path: Path) -> None:
        """Write the transcript to `path`: JSON when it ends in .json, else Markdown
        (OSError when it cannot be written)."""
        text = self.to_json() if path.suffix.lower() == ".json" else self.to_markdown()
        path.write_text(text, encoding="utf-8")

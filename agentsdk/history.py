"""Earlier turns of a conversation, kept within a token budget.

A thread's history is the conversation of its earlier runs as the model saw it: fused
user messages (with the observations fenced in them), the model's answers and tool calls,
and the tool results, placeholders included where PII was redacted. Before a new run,
`trim_history` keeps the newest whole turns (a turn is a user message and everything up
to the next one) that fit the budget, counted with the model's own `count_tokens`; the
oldest turns are dropped first, and a turn is never cut in half, so no tool result is left
without its call. Images and audio that went natively with an earlier message are not
sent again (their text stays); the system message is the agent's current one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agentsdk.messages import Message

__all__ = ["History", "trim_history", "turns"]

MESSAGE_OVERHEAD = 4
"""Tokens a chat template spends around each message (role markers), as an estimate."""


@dataclass(frozen=True, slots=True)
class History:
    """What was kept of the earlier turns, and what the budget dropped."""

    messages: tuple[Message, ...]
    dropped_turns: int = 0
    tokens: int = 0

    @property
    def note(self) -> str | None:
        """A line for `FusedPrompt.dropped` when turns were left out."""
        if not self.dropped_turns:
            return None
        plural = "s" if self.dropped_turns != 1 else ""
        return f"the {self.dropped_turns} oldest turn{plural} of the conversation (history budget)"


def turns(messages: Sequence[Message]) -> list[list[Message]]:
    """Messages grouped into turns, each opened by a user message; system messages and
    anything before the first user message are left out."""
    grouped: list[list[Message]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "user":
            grouped.append([])
        if grouped:
            grouped[-1].append(message)
    return grouped


def _size(message: Message, count: Callable[[str], int]) -> int:
    calls = [{"name": c.name, "arguments": dict(c.arguments)} for c in message.tool_calls]
    return MESSAGE_OVERHEAD + count(message.content) + (count(json.dumps(calls)) if calls else 0)


def trim_history(
    messages: Sequence[Message], *, budget: int, count_tokens: Callable[[str], int]
) -> History:
    """The newest whole turns of `messages` within `budget` tokens, without media."""
    kept: list[list[Message]] = []
    used = 0
    grouped = turns(messages)
    for turn in reversed(grouped):
        size = sum(_size(m, count_tokens) for m in turn)
        if used + size > budget:
            break
        kept.insert(0, turn)
        used += size
    flat = tuple(dataclasses.replace(m, media=()) if m.media else m for turn in kept for m in turn)
    return History(flat, len(grouped) - len(kept), used)

"""Earlier turns within a budget: whole turns, newest kept, media not sent again."""

from __future__ import annotations

import numpy as np

from agentsdk import Image, Message, ToolCall, ToolResult
from agentsdk.history import MESSAGE_OVERHEAD, trim_history, turns


def _words(text: str) -> int:
    return len(text.split())


def _conversation() -> list[Message]:
    call = ToolCall("add", {"a": 1, "b": 2}, "c1")
    return [
        Message.system("old instructions"),
        Message.user("one two three"),
        Message.assistant("four five"),
        Message.user("add one and two"),
        Message.assistant("", [call]),
        Message.tool(ToolResult("c1", "add", "3")),
        Message.assistant("it is 3"),
        Message.user("thanks"),
        Message.assistant("welcome"),
    ]


def test_turns_start_at_user_messages_and_skip_the_system() -> None:
    grouped = turns(_conversation())
    assert [len(t) for t in grouped] == [2, 4, 2]
    assert all(t[0].role == "user" for t in grouped)
    assert turns([Message.assistant("orphan"), Message.user("hi")]) == [[Message.user("hi")]]


def test_everything_fits_a_large_budget() -> None:
    kept = trim_history(_conversation(), budget=10_000, count_tokens=_words)
    assert kept.messages == tuple(_conversation()[1:])
    assert kept.dropped_turns == 0 and kept.note is None and kept.tokens > 0


def test_the_oldest_whole_turns_go_first() -> None:
    last_turn = 2 * MESSAGE_OVERHEAD + 2
    kept = trim_history(_conversation(), budget=last_turn, count_tokens=_words)
    assert kept.messages == (Message.user("thanks"), Message.assistant("welcome"))
    assert kept.dropped_turns == 2 and kept.tokens == last_turn
    assert kept.note == "the 2 oldest turns of the conversation (history budget)"


def test_a_turn_with_a_tool_call_is_never_cut_in_half() -> None:
    sizes = [sum(1 for _ in t) for t in turns(_conversation())]
    assert sizes == [2, 4, 2]
    # room for the last turn and most, but not all, of the tool turn: only the last stays
    budget = 2 * MESSAGE_OVERHEAD + 2 + 3 * MESSAGE_OVERHEAD
    kept = trim_history(_conversation(), budget=budget, count_tokens=_words)
    assert [m.role for m in kept.messages] == ["user", "assistant"]
    assert not any(m.role == "tool" for m in kept.messages)


def test_a_zero_budget_keeps_nothing() -> None:
    kept = trim_history(_conversation(), budget=0, count_tokens=_words)
    assert kept.messages == () and kept.dropped_turns == 3


def test_media_of_earlier_turns_are_not_sent_again() -> None:
    picture = Image(np.zeros((4, 4, 3), dtype=np.uint8))
    earlier = [Message.user("look", media=[picture]), Message.assistant("a black square")]
    kept = trim_history(earlier, budget=100, count_tokens=_words)
    assert kept.messages[0] == Message.user("look") and kept.messages[0].media == ()

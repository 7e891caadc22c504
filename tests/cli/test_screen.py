"""Where the chat writes: whole lines, plain pieces for a pipe, Markdown on a terminal."""

from __future__ import annotations

import io
import re

from rich.console import Console

from agentsdk.cli.screen import LineScreen, PlainScreen, RichScreen, terminal_screen


class Flushed(io.StringIO):
    """A text stream that notes what had been written at each flush."""

    def __init__(self) -> None:
        super().__init__()
        self.flushes: list[str] = []

    def flush(self) -> None:
        self.flushes.append(self.getvalue())


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_line_screen_says_each_answer_whole_when_it_ends() -> None:
    said: list[str] = []
    screen = LineScreen(said.append)
    screen.piece("Hel")
    screen.piece("lo.")
    screen.done("Hello.")
    screen.piece("calling a tool")
    screen.done(None)  # a model turn that ended in tool calls keeps its pieces
    screen.done(None)  # nothing written: nothing said
    screen.done("")  # an empty answer is still an answer
    screen.say("(a notice)")
    assert said == ["agent> Hello.", "agent> calling a tool", "agent> ", "(a notice)"]


def test_a_plain_screen_writes_and_flushes_each_piece_as_it_comes() -> None:
    out = Flushed()
    screen = PlainScreen(out)
    screen.piece("Hel")
    screen.piece("lo.")
    assert out.flushes[-1] == "agent> Hello."
    screen.done("Hello.")
    screen.say("(a notice)")
    assert out.getvalue() == "agent> Hello.\n(a notice)\n"


def test_a_plain_screen_shows_the_answer_as_it_ended_where_the_pieces_differ() -> None:
    out = io.StringIO()
    screen = PlainScreen(out)
    screen.piece("Mail [EMAIL_1].")
    screen.done("Mail ana@example.com.")
    screen.done("Said whole.")  # no piece came
    screen.piece("a tool call")
    screen.say("  [tool t({}) -> ok]")  # a line ends the answer being written
    assert out.getvalue().splitlines() == [
        "agent> Mail [EMAIL_1].",
        "agent> Mail ana@example.com.",
        "agent> Said whole.",
        "agent> a tool call",
        "  [tool t({}) -> ok]",
    ]


def test_a_rich_screen_renders_markdown_and_leaves_lines_as_they_are() -> None:
    out = io.StringIO()
    screen = RichScreen(Console(file=out, force_terminal=True, width=80))
    for piece in ["The **total** ", "is `12.50`:\n\n", "- one\n- two"]:
        screen.piece(piece)
    screen.done("The **total** is `12.50`:\n\n- one\n- two")
    screen.say("  [tool pay({'amount': 1}) -> [a person changed it]]")
    text = out.getvalue()
    assert "\x1b[1mtotal\x1b[0m" in text and "**" not in text  # bold, not asterisks
    assert "• one" in re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text)
    assert "[tool pay({'amount': 1}) -> [a person changed it]]" in text  # no markup read


def test_a_rich_screen_shows_a_whole_answer_without_pieces() -> None:
    out = io.StringIO()
    screen = RichScreen(Console(file=out, force_terminal=True, width=80))
    screen.done("# Title\n\nplain *words*")
    text = out.getvalue()
    assert "agent>" in text and "Title" in text and "*words*" not in text


def test_the_terminal_gets_rich_and_a_pipe_plain_text() -> None:
    assert isinstance(terminal_screen(Terminal()), RichScreen)
    assert isinstance(terminal_screen(io.StringIO()), PlainScreen)

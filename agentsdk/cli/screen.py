"""Where `agentsdk chat` writes: a `Screen` shows lines, and answers as they are written.

- `LineScreen(say)`: every answer as one line, `agent> TEXT`, once its turn ends (what
  tests and callers that collect lines read);
- `PlainScreen(out)`: the answer piece by piece as the model writes it, flushed at once
  (piped output: plain text, no escape codes);
- `RichScreen(console)`: the same, with the answer's Markdown rendered by rich, redrawn
  as it grows (a terminal).

`terminal_screen()` picks `RichScreen` when stdout is a terminal, else `PlainScreen`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Protocol, TextIO

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown

__all__ = ["LineScreen", "PlainScreen", "RichScreen", "Screen", "terminal_screen"]

LABEL = "agent> "


class Screen(Protocol):
    """What the chat shows on."""

    def say(self, line: str) -> None:
        """Show one line (a notice, a tool call, a pause); an answer being written ends."""
        ...

    def piece(self, text: str) -> None:
        """The answer being written grows by `text` (the first piece starts one)."""
        ...

    def done(self, text: str | None) -> None:
        """The answer being written has ended. `text` is what it came to: shown in place
        of the pieces where they differ, or alone when no piece came. None: keep what the
        pieces showed (a model turn that ended in tool calls); nothing when none came."""
        ...


class LineScreen:
    """Each answer as one line once it ends: `say("agent> TEXT")`."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._pieces: list[str] = []

    def say(self, line: str) -> None:
        self._say(line)

    def piece(self, text: str) -> None:
        self._pieces.append(text)

    def done(self, text: str | None) -> None:
        streamed, self._pieces = "".join(self._pieces), []
        if text is not None:
            self._say(LABEL + text)
        elif streamed.strip():
            self._say(LABEL + streamed)


class PlainScreen:
    """Plain text on `out`, each piece written and flushed as it comes."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._pieces: list[str] = []
        self._open = False

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    def say(self, line: str) -> None:
        self.done(None)
        self._write(line + "\n")

    def piece(self, text: str) -> None:
        if not self._open:
            self._open = True
            self._write(LABEL)
        self._pieces.append(text)
        self._write(text)

    def done(self, text: str | None) -> None:
        was_open, streamed = self._open, "".join(self._pieces)
        self._open, self._pieces = False, []
        if was_open:
            self._write("\n")
        if text is not None and (not was_open or streamed.strip() != text.strip()):
            self._write(LABEL + text + "\n")  # the answer as it ended, where it differs


class RichScreen:
    """A terminal: lines as they are, answers as Markdown, redrawn while they grow."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live: Live | None = None
        self._pieces: list[str] = []

    def _label(self) -> None:
        self.console.print(LABEL.strip(), style="bold cyan", markup=False, highlight=False)

    def say(self, line: str) -> None:
        self.done(None)
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def piece(self, text: str) -> None:
        if self._live is None:
            self._label()
            self._live = Live(
                console=self.console, refresh_per_second=12, vertical_overflow="visible"
            )
            self._live.start()
        self._pieces.append(text)
        self._live.update(Markdown("".join(self._pieces)))

    def done(self, text: str | None) -> None:
        live, self._live, self._pieces = self._live, None, []
        if live is not None:
            if text is not None:
                live.update(Markdown(text))
            live.stop()
        elif text is not None:
            self._label()
            self.console.print(Markdown(text))


def terminal_screen(out: TextIO | None = None) -> Screen:
    """Rich Markdown when `out` (default: stdout) is a terminal, plain text otherwise."""
    out = sys.stdout if out is None else out
    if out.isatty():
        return RichScreen(Console(file=out))
    return PlainScreen(out)

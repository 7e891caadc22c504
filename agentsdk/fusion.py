"""Observations + the user's text -> one prompt, within a token budget, with provenance.

Each observation sits in a fenced, labelled section that names its source and
confidence; what the user said comes first, then what was read, seen, and the facts.
What media and tools contain is data: the prompt says so, the sections live in the user
message (never the system message), and any fence marker inside the content is defused
so a sentence in an image or a clip cannot close its fence and pose as an instruction.
A part's name (the file name) is defused too, kept on one line and cut short: it sits
in the section header, where a crafted name could otherwise end the header early.

The budget is counted with the model's own tokenizer when it has one. Over budget, the
least useful content goes first: whole sections of the lowest priority (facts, then
vision tags, then OCR, then speech; low confidence before high), then, if one section is
still too long, its trailing lines. Everything dropped is listed in the prompt and in
`FusedPrompt.dropped`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agentsdk.codec import Serialisable
from agentsdk.encoders.base import Observation
from agentsdk.fences import CLOSE as CLOSE
from agentsdk.fences import DEFUSED_CLOSE as DEFUSED_CLOSE
from agentsdk.fences import DEFUSED_OPEN as DEFUSED_OPEN
from agentsdk.fences import OPEN as OPEN
from agentsdk.fences import PREAMBLE as PREAMBLE

__all__ = ["FusedPrompt", "Section", "fence", "fuse", "inline"]

# The fence markers and the preamble (re-exported above) live in `agentsdk.fences`, below
# the models, so that the tool ranker reads a fused prompt with the markers fusion writes.
# Lower is dropped first when the prompt is over budget.
PRIORITY = {"facts": 0, "vision": 1, "ocr": 2, "speech": 3}
LABELS = {
    "speech": "what the user said (speech transcript)",
    "ocr": "text read in the image (OCR)",
    "vision": "what the image shows (vision tags)",
    "facts": "facts about the image",
}


NAME_CHARS = 80
"""A part's name (a file name the user, or an attacker, chose) is cut to this length in a
section header."""


def fence(text: str) -> str:
    """Make `text` safe inside a section: it cannot open or close a fence."""
    return text.replace(OPEN, DEFUSED_OPEN).replace(CLOSE, DEFUSED_CLOSE)


def inline(text: str, limit: int = NAME_CHARS) -> str:
    """Make `text` safe inside a section header: fenced, on one line, at most `limit`
    characters (a name cannot end the header, start a line, or fill the prompt)."""
    flat = " ".join(fence(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Section(Serialisable):
    """One observation as it appears in the prompt."""

    index: int
    """1-based number shown in the prompt."""
    observation: Observation
    body: str
    """The (fenced, possibly trimmed) text that went into the prompt."""

    @property
    def header(self) -> str:
        obs = self.observation
        where = f" of {inline(obs.part_name)}" if obs.part_name else ""
        label = inline(obs.label or LABELS.get(obs.kind, obs.kind))
        model = f" ({inline(obs.model)})" if obs.model else ""
        return (
            f"{OPEN}section {self.index}: {label}{where}; source {inline(obs.encoder)}"
            f"{model}, confidence {obs.confidence:.2f}{CLOSE}"
        )

    def render(self) -> str:
        return f"{self.header}\n{self.body}\n{OPEN}end of section {self.index}{CLOSE}"


@dataclass(frozen=True, slots=True)
class FusedPrompt(Serialisable):
    """The user message the model reads, and how it was made."""

    text: str
    sections: tuple[Section, ...]
    dropped: tuple[str, ...] = ()
    """Human-readable notes of what the budget left out."""
    tokens: int = 0
    budget: int = 0


def _assemble(user_text: str, sections: Sequence[Section], dropped: Sequence[str]) -> str:
    blocks = [user_text.strip()] if user_text.strip() else []
    if sections or dropped:
        blocks.append(PREAMBLE)
    blocks += [section.render() for section in sections]
    if dropped:
        blocks.append("(left out to fit the prompt budget: " + "; ".join(dropped) + ")")
    return "\n\n".join(blocks)


def _rank(observation: Observation) -> int:
    """The observation's priority (its own, else its kind's): lower is dropped first."""
    if observation.priority is not None:
        return observation.priority
    return PRIORITY.get(observation.kind, 0)


def _word_count(text: str) -> int:
    return len(text.split())


def fuse(
    user_text: str,
    observations: Sequence[Observation],
    *,
    budget: int = 2048,
    count_tokens: Callable[[str], int] | None = None,
) -> FusedPrompt:
    """Build the prompt; `count_tokens` defaults to a word count (for models without one)."""
    count = count_tokens or _word_count
    # What the user said first, then what was read, seen, and the facts.
    useful = sorted((obs for obs in observations if not obs.empty), key=lambda o: -_rank(o))
    sections = [Section(i + 1, obs, fence(obs.text.strip())) for i, obs in enumerate(useful)]
    dropped: list[str] = []

    def size() -> int:
        return count(_assemble(user_text, sections, dropped))

    order = sorted(sections, key=lambda s: (_rank(s.observation), s.observation.confidence))
    while size() > budget and len(sections) > 1:
        victim = order.pop(0)
        sections.remove(victim)
        dropped.append(f"section {victim.index} ({victim.observation.kind})")
    if size() > budget and sections:  # one section left, still too long: cut its tail
        only, notes = sections[0], list(dropped)
        lines = only.body.splitlines()
        for kept in range(len(lines) - 1, 0, -1):
            sections[0] = Section(only.index, only.observation, "\n".join(lines[:kept]))
            dropped[:] = [*notes, f"the last {len(lines) - kept} lines of section {only.index}"]
            if size() <= budget:
                break
    text = _assemble(user_text, sections, dropped)
    return FusedPrompt(text, tuple(sections), tuple(dropped), count(text), budget)

"""The voice protocol, `SpeechSynthesizer`, and what every voice shares: the text checked
(`speakable`), cut at sentence ends into pieces a voice says at once (`split_text`),
and the pieces joined back into one `Audio` part (`synthesize_pieces`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from agentsdk.errors import ConfigurationError
from agentsdk.media import Audio

__all__ = ["SpeechSynthesizer", "speakable", "split_text", "synthesize_pieces"]


@runtime_checkable
class SpeechSynthesizer(Protocol):
    """Turns text into speech: an `Audio` part, mono at `sample_rate`.

    Empty or blank text is a `ConfigurationError`; long text is said sentence by
    sentence and the pieces joined, so its length is bounded only by `MediaLimits`'
    `max_audio_seconds` (an hour)."""

    @property
    def name(self) -> str:
        """Which voice: the engine and the voice's name ("hibari:heart", "espeak-ng:en-us")."""
        ...

    @property
    def sample_rate(self) -> int:
        """The rate, in Hz, of the audio `synthesize` returns."""
        ...

    def synthesize(self, text: str) -> Audio:
        """`text` spoken, as one `Audio` part at `sample_rate`."""
        ...


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAGRAPH = re.compile(r"\n\s*\n")
# a sentence ends at . ! ? or an ellipsis, after any closing quotes and brackets
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"\u201d\u2019)\]]*\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:\u2014])\s+")  # after , ; : or an em dash


def speakable(text: object) -> str:
    """`text` ready for a voice: control characters out, whitespace at the ends trimmed;
    a `ConfigurationError` when it is not a string or there is nothing left to say."""
    if not isinstance(text, str):
        raise ConfigurationError(f"a voice speaks text (a str), not {type(text).__name__}")
    cleaned = _CONTROL.sub(" ", text).strip()
    if not cleaned:
        raise ConfigurationError(
            f"there is no text to speak: synthesize() needs a non-empty string, got {text[:40]!r}"
        )
    return cleaned


def split_text(text: str, max_chars: int) -> list[str]:
    """`text` in pieces of at most `max_chars` characters, cut at paragraph breaks and
    sentence ends (consecutive short sentences share a piece); a sentence longer than
    `max_chars` is cut at clause punctuation, then between words, then anywhere."""
    if max_chars < 1:
        raise ConfigurationError("max_chars must be at least 1")
    sentences: list[str] = []
    for paragraph in _PARAGRAPH.split(text.strip()):
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            sentence = " ".join(sentence.split())
            if sentence:
                sentences += _cut(sentence, max_chars)
    pieces: list[str] = []
    for sentence in sentences:
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= max_chars:
            pieces[-1] += " " + sentence
        else:
            pieces.append(sentence)
    return pieces


def _cut(sentence: str, max_chars: int) -> list[str]:
    """One sentence in pieces of at most `max_chars`: at clauses, words, or anywhere."""
    if len(sentence) <= max_chars:
        return [sentence]
    for separator in (_CLAUSE_END, re.compile(r"\s+")):
        parts = separator.split(sentence)
        if len(parts) > 1:
            pieces: list[str] = []
            for part in parts:
                for small in _cut(part, max_chars):
                    if pieces and len(pieces[-1]) + 1 + len(small) <= max_chars:
                        pieces[-1] += " " + small
                    else:
                        pieces.append(small)
            return pieces
    return [sentence[i : i + max_chars] for i in range(0, len(sentence), max_chars)]


def synthesize_pieces(
    text: str,
    say: Callable[[str], npt.NDArray[np.float32]],
    *,
    sample_rate: int,
    max_chars: int,
    pause: float = 0.2,
) -> Audio:
    """What a voice's `synthesize` does: check `text`, split it (`split_text`), `say`
    each piece (mono float32 samples at `sample_rate`), and join the pieces with
    `pause` seconds of silence between them, clipped to full scale, as one `Audio`."""
    pieces = split_text(speakable(text), max_chars)
    gap = np.zeros(round(pause * sample_rate), np.float32)
    said: list[npt.NDArray[np.float32]] = []
    for piece in pieces:
        samples = np.asarray(say(piece), dtype=np.float32).reshape(-1)
        if samples.size:
            said += [gap, samples] if said else [samples]
    if not said:
        raise ConfigurationError(f"nothing in {text[:60]!r} can be spoken (no words)")
    joined = np.clip(np.concatenate(said), -1.0, 1.0)
    return Audio(joined, sample_rate=sample_rate)

"""The voice protocol, the text a voice accepts, and long text said piece by piece."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from agentsdk import Audio, ConfigurationError, Kit
from agentsdk.voices import (
    EspeakVoice,
    HibariVoice,
    SpeechSynthesizer,
    speakable,
    split_text,
    synthesize_pieces,
)

LONG = " ".join(
    f"Sentence number {i} talks about the weather in town, which was mild." for i in range(60)
)


def test_the_voices_are_speech_synthesizers() -> None:
    assert isinstance(HibariVoice(), SpeechSynthesizer)  # made, not loaded
    assert isinstance(EspeakVoice(), SpeechSynthesizer)
    assert isinstance(Kit.stock().voice, SpeechSynthesizer)
    assert not isinstance(object(), SpeechSynthesizer)
    assert not isinstance(Kit.stock().facts, SpeechSynthesizer)  # an encoder

    class Mine:
        name = "mine"
        sample_rate = 8_000

        def synthesize(self, text: str) -> Audio:
            return Audio(np.full(800, 0.1, np.float32), sample_rate=8_000)

    assert isinstance(Mine(), SpeechSynthesizer)
    assert Kit(voice=Mine()).voice.name == "mine"
    with pytest.raises(ConfigurationError, match="SpeechSynthesizer"):
        Kit(voice="espeak")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\x00\x01"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(ConfigurationError, match="no text to speak"):
        speakable(text)
    with pytest.raises(ConfigurationError, match="no text to speak"):
        EspeakVoice().synthesize(text)
    # refused before the model loads (a load here would fail: this test is not `stock`)
    with pytest.raises(ConfigurationError, match="no text to speak"):
        HibariVoice().synthesize(text)


def test_text_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not bytes"):
        speakable(b"hello")


def test_long_text_is_split_at_sentence_ends_within_the_limit() -> None:
    pieces = split_text(LONG, 400)
    assert len(pieces) > 5
    assert all(len(p) <= 400 for p in pieces)
    assert all(p.endswith("mild.") for p in pieces)  # whole sentences
    assert " ".join(pieces).split() == LONG.split()  # nothing lost, nothing added
    assert split_text("One. Two!  Three?\n\nFour", 400) == ["One. Two! Three? Four"]
    assert split_text("One. Two! Three?", 6) == ["One.", "Two!", "Three?"]


def test_a_sentence_over_the_limit_is_cut_at_clauses_then_words() -> None:
    sentence = "first part, second part; third part: and the rest of it"
    pieces = split_text(sentence, 20)
    assert all(len(p) <= 20 for p in pieces)
    assert pieces[:3] == ["first part,", "second part;", "third part:"]
    assert " ".join(pieces).split() == sentence.split()
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


def test_pieces_are_said_in_order_and_joined_with_pauses() -> None:
    said: list[str] = []

    def say(piece: str) -> npt.NDArray[np.float32]:
        said.append(piece)
        return np.full(100 * len(said), 0.5, np.float32)

    audio = synthesize_pieces(LONG, say, sample_rate=16_000, max_chars=400, pause=0.25)
    assert said == split_text(LONG, 400)
    gaps = (len(said) - 1) * 4_000
    assert len(audio.samples) == sum(100 * n for n in range(1, len(said) + 1)) + gaps
    assert audio.sample_rate == 16_000
    with pytest.raises(ConfigurationError, match="can be spoken"):
        synthesize_pieces("...", lambda _: np.zeros(0, np.float32), sample_rate=16_000, max_chars=9)


def test_a_long_text_is_spoken_whole_by_a_real_voice() -> None:
    voice = EspeakVoice(speed=400)
    calls: list[str] = []
    say = voice._say

    def counted(piece: str) -> npt.NDArray[np.float32]:
        calls.append(piece)
        return say(piece)

    voice._say = counted  # type: ignore[method-assign, assignment]
    text = " ".join([LONG] * 2)  # about 8,600 characters: five espeak-ng runs
    audio = voice.synthesize(text)
    assert len(calls) == len(split_text(text, 2_000)) >= 4
    one = EspeakVoice(speed=400).synthesize(calls[0])
    assert audio.duration >= (len(calls) - 1) * one.duration * 0.9

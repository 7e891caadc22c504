"""The stock voice, hibari-tts "heart": what it says is heard back by the stock Whisper,
it is fast, it loads once, and no voice is ever downloaded."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

from agentsdk import ConfigurationError, Kit, ModelNotFoundError, WeightsIntegrityError
from agentsdk.voices import HibariVoice, hibari, split_text
from agentsdk.weights import is_shared

normalise = EnglishTextNormalizer({})

# General sentences: numbers, names, places, a question. Not chosen to suit the voice.
SENTENCES = [
    "The train to Manchester leaves at half past seven tomorrow morning.",
    "Please call Doctor Maria Gonzalez before Friday afternoon.",
    "Your order of 3 books and 2 notebooks costs 42 dollars.",
    "Where did you leave the keys to the blue car?",
    "We planted twenty apple trees in the garden last spring.",
    "The meeting with Peter and Susan has moved to Tuesday.",
    "Is the museum open on Sunday, or only during the week?",
    "She bought 12 eggs, a loaf of bread and a bottle of milk.",
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every way hibari (or anything else) could reach the network, recorded and refused."""
    from hibari import voices  # type: ignore[import-untyped]

    tried: list[str] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            tried.append(f"{what}{args[:2]}")
            raise AssertionError(f"tried the network: {what}{args[:2]}")

        return refused

    monkeypatch.setattr(voices, "download", refuse("hibari.voices.download"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))
    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    yield tried


def test_the_stock_voice_is_heart_from_the_wheel() -> None:
    voice = Kit.stock().voice
    assert isinstance(voice, HibariVoice)
    assert voice.name == "hibari:heart" and voice.sample_rate == 24_000
    import hibari as package

    assert voice._file.path == Path(package.__file__).parent / "assets" / "hibari.onnx"


def test_a_voice_not_on_disk_is_refused_without_a_download(
    no_network: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))  # hibari's cache folder: empty
    for name in ("emma", "fenrir", "fable", "kore"):
        with pytest.raises(ModelNotFoundError, match="never downloads voices") as error:
            HibariVoice(name)
        assert str(tmp_path) in str(error.value) and "'heart'" in str(error.value)
    assert no_network == []
    assert list(tmp_path.iterdir()) == []  # no partial download either
    with pytest.raises(ConfigurationError, match=r"no voice 'robot'.*heart"):
        HibariVoice("robot")


def test_a_voice_on_disk_is_checked_before_it_loads(
    no_network: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))
    (tmp_path / "bf_emma.int8.onnx").write_bytes(b"not the voice")  # placed by hand
    voice = HibariVoice("emma")  # on disk: accepted, nothing loaded
    assert voice.name == "hibari:emma" and not voice.loaded
    with pytest.raises(WeightsIntegrityError, match="bytes, expected 7,936,868"):
        hibari._verify(voice._file)
    assert no_network == []


def test_bad_options_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="speed"):
        HibariVoice(speed=3.0)
    with pytest.raises(ConfigurationError, match="threads"):
        HibariVoice(threads=0)


@pytest.fixture(scope="module")
def spoken() -> list[tuple[str, Any, float]]:
    """(text, audio, synthesis seconds) for each sentence, by the stock voice, warmed up."""
    voice = Kit.stock().voice
    voice.synthesize("Warming up.")
    found = []
    for text in SENTENCES:
        began = time.perf_counter()
        audio = voice.synthesize(text)
        found.append((text, audio, time.perf_counter() - began))
    return found


@pytest.mark.stock
def test_speech_has_a_sane_rate_duration_and_level(spoken: list[tuple[str, Any, float]]) -> None:
    for text, audio, _ in spoken:
        assert audio.sample_rate == 24_000
        words = len(text.split())
        assert 0.2 * words < audio.duration < 0.8 * words + 1.0, (text, audio.duration)
        peak = float(np.abs(audio.samples).max())
        assert 0.05 < peak <= 1.0, (text, peak)


@pytest.mark.stock
def test_whisper_understands_the_stock_voice(spoken: list[tuple[str, Any, float]]) -> None:
    speech = Kit.stock().speech
    references, hypotheses = [], []
    for text, audio, _ in spoken:
        references.append(normalise(text))
        hypotheses.append(normalise(speech.encode(audio).text))
    wer = jiwer.wer(references, hypotheses)
    print(f"\nstock voice -> stock Whisper: WER {wer:.3f} over {len(SENTENCES)} sentences")
    assert wer <= 0.05, list(zip(references, hypotheses, strict=True))


@pytest.mark.stock
def test_the_stock_voice_is_faster_than_real_time(spoken: list[tuple[str, Any, float]]) -> None:
    seconds = sum(s for _, _, s in spoken)
    audio = sum(a.duration for _, a, _ in spoken)
    rtf = seconds / audio
    print(f"\nstock voice: {audio:.1f} s of audio in {seconds:.2f} s, real-time factor {rtf:.4f}")
    assert rtf < 0.5


@pytest.mark.stock
def test_the_same_text_gives_the_same_samples(spoken: list[tuple[str, Any, float]]) -> None:
    text, audio, _ = spoken[0]
    assert Kit.stock().voice.synthesize(text).sha256 == audio.sha256  # seed 0
    other = HibariVoice(seed=1).synthesize(text)
    assert other.sha256 != audio.sha256 and abs(other.duration - audio.duration) < 0.1


@pytest.mark.stock
def test_it_loads_once_on_first_use_across_threads(
    monkeypatch: pytest.MonkeyPatch, no_network: list[str]
) -> None:
    loads: list[str] = []
    real = hibari._load_voice

    def counted(found: Any, **kwargs: Any) -> Any:
        loads.append(threading.current_thread().name)
        time.sleep(0.2)  # a slow load: the others must wait for it, not load again
        return real(found, **kwargs)

    monkeypatch.setattr(hibari, "_load_voice", counted)
    voices = [HibariVoice(threads=2) for _ in range(4)]  # their own shared copy
    assert not any(v.loaded for v in voices) and loads == []  # lazy
    text = "Four voices, one model."
    with ThreadPoolExecutor(4) as pool:
        said = list(pool.map(lambda v: v.synthesize(text), voices))
    assert len(loads) == 1
    assert all(v.loaded for v in voices) and is_shared(voices[0]._key())
    assert len({a.sha256 for a in said}) == 1
    assert no_network == []


@pytest.mark.stock
def test_a_long_text_is_said_whole(spoken: list[tuple[str, Any, float]]) -> None:
    text = " ".join(SENTENCES * 6)  # about 2,600 characters: several pieces
    audio = Kit.stock().voice.synthesize(text)
    assert len(split_text(text, hibari.MAX_CHARS)) >= 6
    single = sum(a.duration for _, a, _ in spoken) * 6
    assert single * 0.9 < audio.duration < single * 1.3

"""Speech: window logic with a fake backend, VAD on real audio, quality on the stock Whisper."""

from __future__ import annotations

from pathlib import Path

import jiwer
import numpy as np
import pytest
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

from agentsdk import Audio, ConfigurationError, Image, Kit
from agentsdk.encoders.speech import (
    SAMPLE_RATE,
    Segment,
    SpeechEncoder,
    Transcript,
    segment_confidence,
    voice_spans,
    windows,
)
from tests.encoders.samples import SENTENCES, noisy, speak


class FakeBackend:
    """Returns two fixed segments per window and records the windows it saw."""

    model_name = "fake-whisper"

    def __init__(self) -> None:
        self.windows: list[int] = []

    def transcribe(
        self, samples: np.ndarray, *, language: str | None, beam_size: int
    ) -> Transcript:
        self.windows.append(len(samples))
        return Transcript(
            [
                Segment(0.0, 3.0, "hello there", 0.9, -0.1, 0.0),
                Segment(3.0, 4.0, "friend", 0.5, -0.7, 0.1),
            ],
            "en",
            0.98,
        )


def tone(seconds: float) -> Audio:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sample_rate=SAMPLE_RATE)


def test_segments_confidence_and_provenance() -> None:
    backend = FakeBackend()
    audio = tone(4.0)
    observation = SpeechEncoder(backend, vad=False).encode(audio)
    assert observation.kind == "speech"
    assert observation.text == "hello there friend"
    assert observation.confidence == pytest.approx((3 * 0.9 + 1 * 0.5) / 4)
    assert observation.model == "fake-whisper" and observation.part_id == audio.sha256
    assert [s["text"] for s in observation.details["segments"]] == ["hello there", "friend"]
    assert observation.details["language"] == "en"
    assert backend.windows == [4 * SAMPLE_RATE]


def test_long_audio_is_cut_into_windows_with_offsets() -> None:
    backend = FakeBackend()
    observation = SpeechEncoder(backend, vad=False, max_window_seconds=10).encode(tone(25.0))
    assert backend.windows == [10 * SAMPLE_RATE, 10 * SAMPLE_RATE, 5 * SAMPLE_RATE]
    starts = [s["start"] for s in observation.details["segments"]]
    assert starts == [0.0, 3.0, 10.0, 13.0, 20.0, 23.0]


def test_windows_group_spans_and_split_long_ones() -> None:
    spans = [(0, 100), (150, 300), (1000, 1100), (2000, 4500)]
    assert windows(spans, 5000, max_samples=1000, pad=10) == [
        (0, 310),
        (990, 1110),
        (1990, 2990),
        (2990, 3990),
        (3990, 4510),
    ]
    assert windows([(0, 100), (105, 200)], 200, max_samples=1000, pad=10) == [(0, 200)]
    assert windows([], 5000, max_samples=1000, pad=10) == []


def test_windows_pad_into_pauses_but_never_past_their_middle() -> None:
    # a 40-sample pause: each side may take 20 of it; a long pause: the full pad
    assert windows([(100, 200), (240, 300)], 1000, max_samples=200, pad=50) == [
        (50, 220),
        (220, 350),
    ]
    # windows cut at the pause, so no sample is in two windows and none is lost
    cut = windows([(0, 500), (520, 900), (950, 1200)], 1300, max_samples=600, pad=100)
    assert cut == [(0, 510), (510, 925), (925, 1300)]


class PromptedBackend(FakeBackend):
    """A backend with the optional `prompt` keyword; records the prompts it got."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str | None] = []

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        language: str | None,
        beam_size: int,
        prompt: str | None = None,
    ) -> Transcript:
        self.prompts.append(prompt)
        return super().transcribe(samples, language=language, beam_size=beam_size)


def test_each_window_is_conditioned_on_the_previous_one() -> None:
    backend = PromptedBackend()
    SpeechEncoder(backend, vad=False, max_window_seconds=10).encode(tone(25.0))
    assert backend.prompts == [None, "hello there friend", "hello there friend"]
    plain = PromptedBackend()
    SpeechEncoder(plain, vad=False, max_window_seconds=10, condition_on_previous_text=False).encode(
        tone(25.0)
    )
    assert plain.prompts == [None, None, None]


def test_segment_confidence() -> None:
    assert segment_confidence(0.0, 0.0) == 1.0
    assert segment_confidence(np.log(0.5), 0.5) == pytest.approx(0.25)
    assert segment_confidence(-float("inf"), None) == 0.0


def test_options_are_validated_and_keyed() -> None:
    with pytest.raises(ConfigurationError):
        SpeechEncoder(FakeBackend(), max_window_seconds=45)
    with pytest.raises(ConfigurationError):
        SpeechEncoder(FakeBackend(), beam_size=0)
    assert (
        SpeechEncoder(FakeBackend()).cache_key
        != SpeechEncoder(FakeBackend(), beam_size=1).cache_key
    )
    with pytest.raises(ConfigurationError, match="pad_seconds"):
        SpeechEncoder(FakeBackend(), pad_seconds=-1)
    assert (
        SpeechEncoder(FakeBackend()).cache_key
        != SpeechEncoder(FakeBackend(), pad_seconds=0).cache_key
    )
    with pytest.raises(ConfigurationError, match="Audio"):
        SpeechEncoder(FakeBackend()).encode(Image(np.zeros((2, 2, 3), np.uint8)))


# -- real audio -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Audio]]:
    folder = tmp_path_factory.mktemp("speech")
    return [(text, Audio(speak(text, folder / f"{i}.wav"))) for i, text in enumerate(SENTENCES)]


def test_silero_vad_finds_the_speech_between_silences(spoken: list[tuple[str, Audio]]) -> None:
    speech = spoken[0][1].resampled(SAMPLE_RATE)
    silence = np.zeros(2 * SAMPLE_RATE, np.float32)
    clip = np.concatenate([silence, speech, silence, speech, silence])
    spans = voice_spans(clip)
    assert len(spans) >= 2
    first, last = spans[0][0] / SAMPLE_RATE, spans[-1][1] / SAMPLE_RATE
    assert 1.7 <= first <= 2.5
    total = len(clip) / SAMPLE_RATE
    assert total - 2.5 <= last <= total - 1.7
    assert voice_spans(np.zeros(SAMPLE_RATE, np.float32)) == []


def test_silero_vad_splits_speech_longer_than_a_window(spoken: list[tuple[str, Audio]]) -> None:
    def trimmed(audio: Audio) -> np.ndarray:
        samples = audio.resampled(SAMPLE_RATE)
        loud = np.flatnonzero(np.abs(samples) > 0.01)
        return samples[loud[0] : loud[-1] + 1]

    clip = np.concatenate([trimmed(audio) for _, audio in spoken[:6]])  # no pauses: 18 s
    assert max(end - start for start, end in voice_spans(clip)) > 8 * SAMPLE_RATE
    spans = voice_spans(clip, max_seconds=6.0)
    assert len(spans) >= 3
    assert all(end - start <= 6 * SAMPLE_RATE for start, end in spans)


normalise = EnglishTextNormalizer({})


@pytest.mark.stock
def test_stock_whisper_word_error_rate(spoken: list[tuple[str, Audio]]) -> None:
    speech = Kit.stock().speech
    references, hypotheses = [], []
    for text, audio in spoken:
        observation = speech.encode(audio)
        references.append(normalise(text))
        hypotheses.append(normalise(observation.text))
        assert observation.details["language"] == "en"
        assert observation.details["segments"]
    wer = jiwer.wer(references, hypotheses)
    assert wer <= 0.10, list(zip(references, hypotheses, strict=True))


@pytest.mark.stock
def test_stock_whisper_long_audio_keeps_timestamps(spoken: list[tuple[str, Audio]]) -> None:
    pause = np.zeros(3 * SAMPLE_RATE, np.float32)
    parts = []
    for _, audio in spoken[:8]:
        parts += [audio.resampled(SAMPLE_RATE), pause]
    clip = Audio(np.concatenate(parts), sample_rate=SAMPLE_RATE)
    assert clip.duration > 40
    observation = Kit.stock().speech.encode(clip)
    segments = observation.details["segments"]
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert segments[-1]["end"] > 35
    words = set(normalise(observation.text).split())
    assert {"receipt", "maria", "apples", "london"} <= words


@pytest.mark.stock
def test_stock_whisper_is_less_confident_on_noisy_speech(spoken: list[tuple[str, Audio]]) -> None:
    speech = Kit.stock().speech
    clean, degraded = [], []
    for _, audio in spoken[:4]:
        samples = audio.resampled(SAMPLE_RATE)
        clean.append(speech.encode(audio).confidence)
        mixed = Audio(noisy(samples, snr_db=-5, seed=len(clean)), sample_rate=SAMPLE_RATE)
        degraded.append(speech.encode(mixed).confidence)
    assert np.mean(degraded) < np.mean(clean) - 0.1, (clean, degraded)


@pytest.mark.parametrize("beam_size", [1, 2])
def test_transformers_backend_runs_a_whisper_checkpoint(tmp_path: Path, beam_size: int) -> None:
    from agentsdk.encoders import TransformersWhisperBackend
    from tests.tiny_models import build_tiny_whisper_checkpoint

    backend = TransformersWhisperBackend.load(build_tiny_whisper_checkpoint(tmp_path))
    assert backend.model_name == f"transformers:{tmp_path.name}"
    noise = np.random.default_rng(0).normal(0, 0.1, 2 * SAMPLE_RATE).astype(np.float32)
    transcript = backend.transcribe(noise, language=None, beam_size=beam_size)
    [segment] = transcript.segments
    assert (segment.start, segment.end) == (0.0, 2.0)
    assert segment.text
    assert np.isfinite(segment.avg_logprob) and segment.avg_logprob <= 0
    observation = SpeechEncoder(backend, vad=False, beam_size=beam_size).encode(
        Audio(noise, sample_rate=SAMPLE_RATE)
    )
    assert observation.model == backend.model_name
    # random weights: the model is unsure, and the confidence says so
    assert 0.0 <= observation.confidence < 0.2


def test_transformers_backend_reports_a_missing_checkpoint(tmp_path: Path) -> None:
    from agentsdk import ModelLoadError
    from agentsdk.encoders import TransformersWhisperBackend

    with pytest.raises(ModelLoadError, match="Whisper"):
        TransformersWhisperBackend.load(tmp_path)


@pytest.mark.stock
def test_stock_speech_encoder_is_as_accurate_as_bare_faster_whisper(tmp_path: Path) -> None:
    """Issue 13: the encoder (VAD windows) against bare faster-whisper on the same model
    files with beam 5, both measured here, on short clips and on one long clip."""
    from agentsdk.weights import STOCK_COMPONENTS, load_component
    from tools.bench_speech import long_clip, sdk_vs_bare, short_clips

    model = load_component(STOCK_COMPONENTS["speech"])
    for clips in (short_clips(tmp_path), [long_clip(tmp_path, 0)]):
        scores = sdk_vs_bare(model, clips)
        sdk, bare = scores["sdk"], scores["bare"]
        assert sdk.wer <= bare.wer, (sdk.wer, bare.wer, sdk.hypotheses, bare.hypotheses)

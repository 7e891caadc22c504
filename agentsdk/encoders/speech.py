"""Speech: Whisper transcripts with time spans, language and a confidence.

Two backends behind one small protocol:

- `FasterWhisperBackend`: CTranslate2 (the stock kit's tiny.en, int8 on CPU).
- `TransformersWhisperBackend`: `WhisperForConditionalGeneration` checkpoints (GPU-friendly).

`SpeechEncoder` finds speech with silero-vad (its model ships in the silero-vad package),
transcribes the voiced windows (at most `max_window_seconds` each, so long audio works),
and reports every segment with its time span. A segment's confidence is
exp(average log-probability) x (1 - no-speech probability); the clip's is the mean over
segments weighted by duration.

How windows are made and decoded, and why (issue 13; measured against bare
faster-whisper on the same model files with beam 5, `python tools/bench.py speech`, and
BENCHMARKS.md):

- Padding: a window keeps up to `pad_seconds` (0.5 s) of the pause around its speech,
  never past the middle of a pause, so windows never overlap. With the former 0.1 s,
  Whisper misheard words that start at the window's edge (tiny.en, 36 short clips:
  WER 0.289; with 0.3-2 s: 0.254, bare 0.271).
- Cuts: speech longer than a window is split by silero-vad in its longest pause
  (`voice_spans(max_seconds=...)`) rather than cut through a word; a hard cut is left
  only for `vad=False` or speech with no pause at all.
- Decoding: faster-whisper's own defaults (temperature fallback, timestamps,
  condition_on_previous_text within a window), and each window gets the previous
  window's text as its prompt, as bare Whisper conditions each 30 s chunk on the last
  (-0.006 WER on long clips). Backends whose `transcribe` has no `prompt` keyword are
  called as before. Speed is unchanged (about 0.45 s per short clip, 3.6 s per 66 s clip
  on 2 cores).
"""

from __future__ import annotations

import inspect
import itertools
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from agentsdk.encoders.base import Observation
from agentsdk.errors import ConfigurationError, MissingDependencyError, ModelLoadError
from agentsdk.media import Audio, Media

__all__ = [
    "FasterWhisperBackend",
    "Segment",
    "SpeechEncoder",
    "TransformersWhisperBackend",
    "WhisperBackend",
    "voice_spans",
]

SAMPLE_RATE = 16_000
PAD_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of transcribed speech."""

    start: float
    """Seconds from the start of the clip."""
    end: float
    text: str
    confidence: float
    avg_logprob: float
    no_speech_prob: float | None = None


@dataclass(frozen=True, slots=True)
class Transcript:
    segments: list[Segment]
    language: str | None
    language_probability: float | None


class WhisperBackend(Protocol):
    """Transcribes one window of 16 kHz mono audio (at most 30 s).

    A backend may also take an optional keyword `prompt: str | None` (the text of the
    window before, to condition on); `SpeechEncoder` passes it only to those that do.
    """

    @property
    def model_name(self) -> str: ...

    def transcribe(
        self, samples: npt.NDArray[np.float32], *, language: str | None, beam_size: int
    ) -> Transcript: ...


def segment_confidence(avg_logprob: float, no_speech_prob: float | None) -> float:
    speech = 1.0 - (no_speech_prob or 0.0)
    return float(min(1.0, max(0.0, math.exp(avg_logprob) * speech)))


class FasterWhisperBackend:
    """faster-whisper (CTranslate2)."""

    def __init__(self, model: Any, *, model_name: str = "whisper") -> None:
        self._model = model
        self._model_name = model_name

    @classmethod
    def load(
        cls, path: str | Path, *, device: str = "cpu", compute_type: str = "int8"
    ) -> FasterWhisperBackend:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise MissingDependencyError(
                "the faster-whisper backend needs faster-whisper: pip install 'agentsdk[kit]'"
            ) from exc
        try:
            model = WhisperModel(
                str(path), device=device, compute_type=compute_type, local_files_only=True
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelLoadError(f"faster-whisper could not load {path}: {exc}") from exc
        return cls(model, model_name=f"faster-whisper:{Path(path).name}")

    @property
    def model_name(self) -> str:
        return self._model_name

    def transcribe(
        self,
        samples: npt.NDArray[np.float32],
        *,
        language: str | None,
        beam_size: int,
        prompt: str | None = None,
    ) -> Transcript:
        """One window with faster-whisper's own defaults (temperature fallback, timestamps,
        conditioning on the text before), `prompt` being the previous window's text."""
        segments, info = self._model.transcribe(
            samples,
            language=language,
            beam_size=beam_size,
            vad_filter=False,  # SpeechEncoder already ran silero-vad
            initial_prompt=prompt or None,
        )
        found = [
            Segment(
                start=float(s.start),
                end=float(s.end),
                text=s.text.strip(),
                confidence=segment_confidence(s.avg_logprob, s.no_speech_prob),
                avg_logprob=float(s.avg_logprob),
                no_speech_prob=float(s.no_speech_prob),
            )
            for s in segments
            if s.text.strip()
        ]
        return Transcript(found, info.language, float(info.language_probability))


class TransformersWhisperBackend:
    """transformers `WhisperForConditionalGeneration` with its processor."""

    def __init__(self, model: Any, processor: Any, *, model_name: str = "whisper") -> None:
        self._model = model
        self._processor = processor
        self._model_name = model_name

    @classmethod
    def load(
        cls, path: str | Path, *, device: str = "cpu", dtype: Any = None
    ) -> TransformersWhisperBackend:
        import torch
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        if dtype is None:
            dtype = torch.float16 if device.startswith("cuda") else torch.float32
        try:
            processor = WhisperProcessor.from_pretrained(path, local_files_only=True)
            model = WhisperForConditionalGeneration.from_pretrained(
                path, dtype=dtype, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"transformers could not load Whisper from {path}: {exc}") from exc
        model.to(device).eval()  # type: ignore[arg-type]
        return cls(model, processor, model_name=f"transformers:{Path(path).name}")

    @property
    def model_name(self) -> str:
        return self._model_name

    def transcribe(
        self, samples: npt.NDArray[np.float32], *, language: str | None, beam_size: int
    ) -> Transcript:
        import torch

        features = self._processor(
            samples, sampling_rate=SAMPLE_RATE, return_tensors="pt"
        ).input_features.to(self._model.device, self._model.dtype)
        kwargs: dict[str, Any] = {"num_beams": beam_size}
        if language and getattr(self._model.generation_config, "lang_to_id", None):
            kwargs["language"] = language
        with torch.inference_mode():
            output = self._model.generate(
                features, return_dict_in_generate=True, output_scores=True, **kwargs
            )
        avg_logprob = self._average_logprob(output)
        text = self._processor.batch_decode(output.sequences, skip_special_tokens=True)[0].strip()
        duration = len(samples) / SAMPLE_RATE
        segments = (
            [Segment(0.0, duration, text, segment_confidence(avg_logprob, None), avg_logprob)]
            if text
            else []
        )
        return Transcript(segments, language, None)

    def _average_logprob(self, output: Any) -> float:
        """Mean log-probability of the chosen tokens (beam search reports it directly)."""
        import torch

        beam_score = getattr(output, "sequences_scores", None)
        if beam_score is not None:  # sum of log-probs / length, with length_penalty=1
            return float(beam_score[0])
        if not getattr(output, "scores", None):
            return -math.inf
        with torch.inference_mode():
            scores = self._model.compute_transition_scores(
                output.sequences, output.scores, normalize_logits=True
            )
        finite = scores[0][torch.isfinite(scores[0])]
        return float(finite.mean()) if finite.numel() else -math.inf


# -- voice activity ---------------------------------------------------------------------

_vad_model: Any = None
_vad_lock = threading.Lock()


def voice_spans(
    samples: npt.NDArray[np.float32], *, threshold: float = 0.5, max_seconds: float = math.inf
) -> list[tuple[int, int]]:
    """(start, end) sample indices of speech in 16 kHz audio, by silero-vad.

    Speech longer than `max_seconds` is split by silero-vad itself, at the longest pause
    (of at least ~0.1 s) before the limit, so a window cut never has to land in a word.
    """
    global _vad_model
    try:
        import torch
        from silero_vad import (  # type: ignore[import-untyped]
            get_speech_timestamps,
            load_silero_vad,
        )
    except ImportError as exc:
        raise MissingDependencyError(
            "voice activity detection needs silero-vad: pip install 'agentsdk[kit]'"
        ) from exc
    with _vad_lock:  # the model keeps state between chunks: one clip at a time
        if _vad_model is None:
            _vad_model = load_silero_vad(onnx=True)
        found = get_speech_timestamps(
            torch.from_numpy(np.array(samples, dtype=np.float32)),  # writable copy
            _vad_model,
            threshold=threshold,
            sampling_rate=SAMPLE_RATE,
            max_speech_duration_s=max_seconds,
        )
    return [(int(s["start"]), int(s["end"])) for s in found]


def windows(
    spans: Sequence[tuple[int, int]], total: int, *, max_samples: int, pad: int
) -> list[tuple[int, int]]:
    """Group speech spans into windows of at most `max_samples`, cut in the pauses.

    Each span keeps up to `pad` samples of the silence around it (Whisper mishears a word
    that starts right at the window's edge), but never more than half the pause to its
    neighbour, so windows never overlap and no word is transcribed twice. Consecutive
    spans share a window while it fits. Only a span that alone exceeds a window (no
    pause found by VAD, or `vad=False`) is cut hard, without overlap.
    """
    padded = _padded(_merged(spans), total, pad)
    pieces = [piece for span in padded for piece in _cut(span, max_samples)]
    grouped: list[tuple[int, int]] = []
    for start, end in pieces:
        if grouped and end - grouped[-1][0] <= max_samples:
            grouped[-1] = (grouped[-1][0], end)
        else:
            grouped.append((start, end))
    return grouped


def _merged(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans, with those that overlap or touch joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _padded(spans: Sequence[tuple[int, int]], total: int, pad: int) -> list[tuple[int, int]]:
    """Disjoint sorted spans widened by `pad` each side, up to the middle of each pause."""
    middles = ((end + start) // 2 for (_, end), (start, _) in itertools.pairwise(spans))
    bounds = [0, *middles, total]
    return [
        (max(bounds[i], start - pad), min(bounds[i + 1], end + pad))
        for i, (start, end) in enumerate(spans)
    ]


def _cut(span: tuple[int, int], max_samples: int) -> list[tuple[int, int]]:
    """`span` in consecutive pieces of at most `max_samples`."""
    start, end = span
    return [(at, min(at + max_samples, end)) for at in range(start, end, max_samples)]


class SpeechEncoder:
    """Audio part -> transcript observation (kind "speech").

    `pad_seconds`: pause kept each side of a window's speech (at most half of each
    pause). `condition_on_previous_text`: prompt each window with the previous window's
    text, for backends that take a `prompt`. Both are in `cache_key`.
    """

    name = "speech"
    modality: Literal["audio"] = "audio"

    def __init__(
        self,
        backend: WhisperBackend,
        *,
        language: str | None = None,
        beam_size: int = 5,
        vad: bool = True,
        vad_threshold: float = 0.5,
        max_window_seconds: float = 28.0,
        pad_seconds: float = PAD_SECONDS,
        condition_on_previous_text: bool = True,
    ) -> None:
        if not 1.0 <= max_window_seconds <= 30.0:
            raise ConfigurationError("max_window_seconds must be within Whisper's 30 s")
        if beam_size < 1:
            raise ConfigurationError("beam_size must be at least 1")
        if not 0.0 <= pad_seconds <= max_window_seconds / 4:
            raise ConfigurationError("pad_seconds must be within 0 and a quarter window")
        self.backend = backend
        self.language = language
        self.beam_size = beam_size
        self.vad = vad
        self.vad_threshold = vad_threshold
        self.max_window_seconds = max_window_seconds
        self.pad_seconds = pad_seconds
        self.condition_on_previous_text = condition_on_previous_text

    @property
    def cache_key(self) -> str:
        return (
            f"{self.backend.model_name}|lang={self.language}|beam={self.beam_size}|"
            f"vad={self.vad}:{self.vad_threshold}|window={self.max_window_seconds}|"
            f"pad={self.pad_seconds}|previous={self.condition_on_previous_text}"
        )

    def encode(self, part: Media) -> Observation:
        if not isinstance(part, Audio):
            raise ConfigurationError(f"the speech encoder takes Audio, not {type(part).__name__}")
        started = time.perf_counter()
        samples = part.resampled(SAMPLE_RATE)
        if self.vad:
            longest = self.max_window_seconds - 2 * self.pad_seconds
            spans = voice_spans(samples, threshold=self.vad_threshold, max_seconds=longest)
        else:
            spans = [(0, len(samples))]
        segments: list[Segment] = []
        language: str | None = self.language
        language_probability: float | None = None
        max_samples = int(self.max_window_seconds * SAMPLE_RATE)
        pad = int(self.pad_seconds * SAMPLE_RATE)
        previous = ""
        for start, end in windows(spans, len(samples), max_samples=max_samples, pad=pad):
            transcript = self._transcribe(samples[start:end], previous)
            offset = start / SAMPLE_RATE
            segments.extend(_shifted(s, offset) for s in transcript.segments)
            previous = " ".join(s.text for s in transcript.segments)
            language = transcript.language or language
            language_probability = transcript.language_probability
        text = " ".join(s.text for s in segments)
        return Observation(
            kind="speech",
            text=text,
            confidence=_weighted_confidence(segments),
            encoder=self.name,
            model=self.backend.model_name,
            part_id=part.sha256,
            part_name=part.name,
            details={
                "segments": [asdict(s) for s in segments],
                "language": language,
                "language_probability": language_probability,
                "duration": part.duration,
                "speech_seconds": round(sum(e - s for s, e in spans) / SAMPLE_RATE, 3),
            },
            seconds=time.perf_counter() - started,
        )

    def _transcribe(self, window: npt.NDArray[np.float32], previous: str) -> Transcript:
        """One window. A backend that takes a `prompt` gets the previous window's text,
        as bare Whisper conditions each 30 s chunk on the one before (measured: fewer
        errors on long clips, see the module docstring)."""
        options: dict[str, Any] = {}
        if self.condition_on_previous_text and previous and _takes_prompt(self.backend):
            options["prompt"] = previous
        return self.backend.transcribe(
            window, language=self.language, beam_size=self.beam_size, **options
        )


def _shifted(segment: Segment, offset: float) -> Segment:
    """`segment` with its times moved from the window's clock to the clip's."""
    return replace(
        segment, start=round(segment.start + offset, 3), end=round(segment.end + offset, 3)
    )


def _takes_prompt(backend: WhisperBackend) -> bool:
    """Whether `backend.transcribe` has a `prompt` keyword (it is optional in the protocol)."""
    try:
        parameters = inspect.signature(backend.transcribe).parameters
    except (TypeError, ValueError):
        return False
    return "prompt" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def _weighted_confidence(segments: Sequence[Segment]) -> float:
    if not segments:
        return 0.0
    weights = [max(s.end - s.start, 0.01) for s in segments]
    return sum(w * s.confidence for w, s in zip(weights, segments, strict=True)) / sum(weights)

"""`Video`: a clip as a media part, decoded with PyAV (FFmpeg).

`Video("clip.mp4")` (or bytes) is checked on construction: a container FFmpeg can read,
with a video stream whose first frame decodes, no longer than `MediaLimits`'
`max_audio_seconds` (the limit on any timed media) and with frames no larger than
`max_image_pixels`. Anything else is a `MediaError`, as for images and audio: FFmpeg's
own errors never escape. Then it gives what encoders read:

- `frames(every=...)`: `(seconds, Image)` pairs, the first frame, a frame at every
  scene change (`SCENE_CHANGE` of the picture's blocks changed; at most four per `every`)
  and at least one every `every` seconds, at most `MAX_FRAMES`;
- `audio()`: the sound track as mono `Audio` at 16 kHz, or None when there is none.

Both decode on first use and are kept. `VideoEncoder` (agentsdk.encoders.video) turns
them into one timeline observation.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import PIL.Image

from agentsdk.errors import (
    ConfigurationError,
    CorruptMediaError,
    MediaError,
    MediaTooLargeError,
    MissingDependencyError,
    UnsupportedMediaError,
)
from agentsdk.media import DEFAULT_LIMITS, Audio, Image, Media, MediaLimits, Source, read_source

__all__ = ["BLOCK_CHANGE", "FRAME_SIDE", "MAX_FRAMES", "SCENE_CHANGE", "Video"]

MAX_FRAMES = 48
"""Frames `frames()` keeps at most (the rest of a long clip is sampled more sparsely)."""
FRAME_SIDE = 1920
"""Kept frames are scaled down (aspect kept) so their longer side fits this: 48 frames
of a 4K clip would otherwise hold 1.2 GB; OCR reads 1080p text as well."""
SCENE_CHANGE = 0.01
"""The share of a frame's 32x32 grey blocks that must change (each by more than
`BLOCK_CHANGE`) for a new scene: a slide whose text changes is one, sensor noise is not."""
BLOCK_CHANGE = 0.03
"""How much a block's mean grey level (0-1) must change to count as changed."""
_SPEECH_RATE = 16_000
_MIMES = {"mp4": "video/mp4", "mov": "video/quicktime", "matroska": "video/x-matroska"}
_MIMES.update({"webm": "video/webm", "avi": "video/x-msvideo", "mpeg": "video/mpeg"})


def _av() -> Any:
    try:
        import av
    except ImportError as exc:  # pragma: no cover - PyAV comes with faster-whisper
        raise MissingDependencyError(
            "reading video needs PyAV: pip install av (it comes with agentsdk[kit])"
        ) from exc
    return av


@contextmanager
def _ffmpeg_errors(what: str) -> Iterator[None]:
    """FFmpeg's and PyAV's errors (there are many kinds) as `CorruptMediaError`."""
    try:
        yield
    except MediaError:
        raise
    except MemoryError as exc:
        raise MediaTooLargeError(f"{what} is too large to decode") from exc
    except Exception as exc:
        raise CorruptMediaError(f"{what} could not be decoded: {exc}") from exc


class Video(Media):
    """A video part: its frames and its sound track, decoded with PyAV.

    ``Video("clip.mp4")`` or ``Video(mp4_bytes, name="clip.mp4")``.
    """

    __slots__ = (
        "_audio",
        "_frames",
        "data",
        "duration",
        "format",
        "has_audio",
        "limits",
        "name",
        "path",
        "sha256",
        "size",
    )

    modality: ClassVar[str] = "video"

    def __init__(
        self, source: Source, *, name: str | None = None, limits: MediaLimits = DEFAULT_LIMITS
    ) -> None:
        data, path = read_source(source, limits, "video")
        self.data, self.path, self.limits = data, path, limits
        self.name = name if name is not None else (path.name if path is not None else None)
        what = f"video {self.name or ''}".strip()
        av = _av()
        try:
            container = av.open(io.BytesIO(data), mode="r")
        except Exception as exc:
            raise UnsupportedMediaError(f"{what} is not a video FFmpeg can read: {exc}") from exc
        with container, _ffmpeg_errors(what):
            if not container.streams.video:
                raise UnsupportedMediaError(f"{what} has no video stream")
            stream = container.streams.video[0]
            self.format = str(container.format.name)
            self.has_audio = bool(container.streams.audio)
            self.duration = _duration(container, stream)
            if self.duration > limits.max_audio_seconds:
                raise MediaTooLargeError(
                    f"{what} lasts {self.duration:.0f} s; the limit is "
                    f"{limits.max_audio_seconds:.0f} s (MediaLimits.max_audio_seconds)"
                )
            width, height = int(stream.codec_context.width), int(stream.codec_context.height)
            if width * height > limits.max_image_pixels:
                raise MediaTooLargeError(
                    f"{what} frames are {width}x{height}; the limit is "
                    f"{limits.max_image_pixels:,} pixels (MediaLimits.max_image_pixels)"
                )
            first = next(container.decode(stream), None)
            if first is None:
                raise CorruptMediaError(f"{what} holds no frame that decodes")
            self.size = (int(first.width), int(first.height))
        self.sha256 = hashlib.sha256(data).hexdigest()
        self._frames: dict[float, list[tuple[float, Image]]] = {}
        self._audio: list[Audio | None] = []

    def frames(self, every: float = 2.0) -> list[tuple[float, Image]]:
        """The first frame, a frame at each scene change, and one at least every `every`
        seconds (sparser when that would be over `MAX_FRAMES`), with their times."""
        if every <= 0:
            raise ConfigurationError("every must be a positive number of seconds")
        every = max(every, self.duration / MAX_FRAMES)
        if every not in self._frames:
            self._frames[every] = self._sample(every)
        return self._frames[every]

    def audio(self) -> Audio | None:
        """The sound track, mono at 16 kHz (silence allowed), or None when it has none."""
        if not self._audio:
            self._audio.append(self._decode_audio() if self.has_audio else None)
        return self._audio[0]

    def payload(self) -> tuple[bytes, str]:
        kind = next((m for key, m in _MIMES.items() if key in self.format), "video/mp4")
        return self.data, kind

    @classmethod
    def from_payload(cls, data: bytes, name: str | None) -> Video:
        return cls(data, name=name)

    def __repr__(self) -> str:
        label = self.name or self.sha256[:12]
        width, height = self.size
        return f"Video({label!r}, {self.duration:.2f}s, {width}x{height})"

    # -- decoding ------------------------------------------------------------------

    def _sample(self, every: float) -> list[tuple[float, Image]]:
        av = _av()
        kept: list[tuple[float, Image]] = []
        last: npt.NDArray[np.float32] | None = None
        last_time = -every
        gap = max(every / 4, self.duration / MAX_FRAMES)  # scene changes at most this often
        what = f"video {self.name or self.sha256[:12]}"
        with av.open(io.BytesIO(self.data)) as container, _ffmpeg_errors(what):
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                seconds = float(frame.time or 0.0)
                pixels = frame.to_ndarray(format="rgb24")
                thumb = _thumbnail(pixels)
                changed = last is None or (
                    seconds - last_time >= gap
                    and float((np.abs(thumb - last) > BLOCK_CHANGE).mean()) >= SCENE_CHANGE
                )
                if changed or seconds - last_time >= every:
                    name = f"{self.name or 'video'}@{seconds:.1f}s"
                    image = Image(pixels, name=name, limits=self.limits).resized(FRAME_SIDE)
                    kept.append((seconds, image))
                    last, last_time = thumb, seconds
                if len(kept) >= MAX_FRAMES:
                    break
        return kept

    def _decode_audio(self) -> Audio | None:
        av = _av()
        chunks: list[npt.NDArray[np.float32]] = []
        what = f"the sound of video {self.name or self.sha256[:12]}"
        with av.open(io.BytesIO(self.data)) as container, _ffmpeg_errors(what):
            resampler = av.AudioResampler(format="flt", layout="mono", rate=_SPEECH_RATE)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
            for out in resampler.resample(None):  # flush
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        if not samples.size:
            return None
        limits = MediaLimits(
            max_bytes=self.limits.max_bytes,
            max_audio_seconds=self.limits.max_audio_seconds,
            allow_silence=True,
        )
        return Audio(samples, sample_rate=_SPEECH_RATE, name=self.name, limits=limits)


def _duration(container: Any, stream: Any) -> float:
    """Seconds, from the stream or the container (FFmpeg's time bases)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return 0.0


def _thumbnail(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """32x32 grey block means in [0, 1], to compare scenes cheaply."""
    small = PIL.Image.fromarray(pixels).convert("L").resize((32, 32), PIL.Image.Resampling.BOX)
    thumb: npt.NDArray[np.float32] = np.asarray(small, np.float32) / 255.0
    return thumb

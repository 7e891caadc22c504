"""Image and audio parts: load, validate, normalise.

`Image` and `Audio` take what users have (a path, bytes, a PIL image, a numpy array with
its sample rate), decode it once and refuse bad input with a typed `MediaError`
subclass: missing files, unsupported formats, truncated data, decompression bombs,
empty, silent or non-finite audio, and anything over the configured `MediaLimits`.
The caller's data is never modified.

Images are decoded with Pillow, EXIF orientation applied, and converted to RGB (alpha
composited on white). Audio is decoded with soundfile, down-mixed to mono float32 at its
native rate, and resampled with soxr to whatever rate a consumer asks for.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import PIL.Image
import PIL.ImageOps
import soundfile
import soxr

from agentsdk.errors import (
    ConfigurationError,
    CorruptMediaError,
    EmptyAudioError,
    InvalidAudioError,
    MediaNotFoundError,
    MediaTooLargeError,
    SilentAudioError,
    UnsupportedMediaError,
)

__all__ = ["Audio", "Image", "MediaLimits", "media_from_dict", "media_to_dict"]

Source = str | os.PathLike[str] | bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLimits:
    """Limits applied to every image and audio input."""

    max_bytes: int = 64 * 1024 * 1024
    """Largest encoded input (file or bytes) accepted."""
    max_image_pixels: int = 50_000_000
    """Largest width x height accepted, checked from the header before decoding.
    Pillow refuses more than 2 x `PIL.Image.MAX_IMAGE_PIXELS` on its own."""
    max_audio_seconds: float = 3600.0
    """Longest audio accepted, checked from the header before decoding."""
    allow_silence: bool = False
    """Accept audio whose every sample is under `silence_threshold`."""
    silence_threshold: float = 1e-4
    """Peak amplitude (full scale = 1.0) under which audio counts as silent (-80 dBFS)."""

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_image_pixels", "max_audio_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"MediaLimits.{name} must be positive")
        if not 0 <= self.silence_threshold < 1:
            raise ConfigurationError("MediaLimits.silence_threshold must be in [0, 1)")


DEFAULT_LIMITS = MediaLimits()


def _read_source(source: Source, limits: MediaLimits, kind: str) -> tuple[bytes, Path | None]:
    """Bytes of a path or bytes-like source, with the size limit checked first."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        path = None
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise MediaNotFoundError(f"{kind} file not found: {path}") from None
        if not path.is_file():
            raise MediaNotFoundError(f"{kind} path is not a file: {path}")
        if size > limits.max_bytes:
            raise MediaTooLargeError(
                f"{kind} file {path} is {size:,} bytes; the limit is {limits.max_bytes:,} "
                "(raise MediaLimits.max_bytes to accept it)"
            )
        data = path.read_bytes()
    if not data:
        raise (EmptyAudioError if kind == "audio" else CorruptMediaError)(f"{kind} input is empty")
    if len(data) > limits.max_bytes:
        raise MediaTooLargeError(
            f"{kind} input is {len(data):,} bytes; the limit is {limits.max_bytes:,}"
        )
    return data, path


def _sha256(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class Image:
    """An image part. Decoded and validated on construction.

    ``Image("receipt.png")``, ``Image(png_bytes)``, ``Image(pil_image)`` or
    ``Image(uint8_array)`` (H x W, H x W x 3 or H x W x 4).
    """

    __slots__ = ("_pil", "exif_orientation", "format", "name", "original_mode", "path", "sha256")

    path: Path | None
    """Where it was read from, when it came from a file."""
    name: str | None
    """A display name: the given name, else the file name."""
    format: str | None
    """The encoded format ("PNG", "JPEG", ...); None for arrays and in-memory images."""
    original_mode: str
    """Pillow mode before conversion to RGB."""
    exif_orientation: int | None
    """The EXIF orientation tag (1-8) that was applied, if the file had one."""
    sha256: str
    """Content hash of the encoded bytes (or of the pixels, for arrays and PIL images)."""

    def __init__(
        self,
        source: Source | PIL.Image.Image | npt.NDArray[Any],
        *,
        name: str | None = None,
        limits: MediaLimits | None = None,
    ) -> None:
        limits = limits or DEFAULT_LIMITS
        self.path = None
        self.format = None
        if isinstance(source, PIL.Image.Image):
            image = source.copy()
            _check_pixels(image.size, limits)
            self.sha256 = _sha256(image.mode.encode(), str(image.size).encode(), image.tobytes())
        elif isinstance(source, np.ndarray):
            image = _image_from_array(source, limits)
            self.sha256 = _sha256(image.mode.encode(), str(image.size).encode(), image.tobytes())
        else:
            data, self.path = _read_source(source, limits, "image")
            self.sha256 = _sha256(data)
            image = _decode_image(data, limits, self.path)
            self.format = image.format
        self.name = name if name is not None else (self.path.name if self.path else None)
        self.original_mode = image.mode
        orientation = image.getexif().get(0x0112)
        self.exif_orientation = int(orientation) if orientation else None
        image = PIL.ImageOps.exif_transpose(image) if self.exif_orientation else image
        self._pil = _to_rgb(image)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) after EXIF orientation."""
        return self._pil.size

    def to_pil(self) -> PIL.Image.Image:
        """An RGB copy, upright, ready for a model's processor."""
        return self._pil.copy()

    def to_array(self) -> npt.NDArray[np.uint8]:
        """H x W x 3 uint8 RGB pixels."""
        return np.asarray(self._pil, dtype=np.uint8)

    def resized(self, max_side: int) -> Image:
        """This image, or a copy whose longer side is `max_side` pixels (aspect kept,
        Lanczos), validated like any new `Image`."""
        if max_side < 1:
            raise ConfigurationError("max_side must be at least 1")
        if max(self.size) <= max_side:
            return self
        picture = self._pil.copy()
        picture.thumbnail((max_side, max_side), PIL.Image.Resampling.LANCZOS)
        return Image(picture, name=self.name)

    def encoded(self) -> tuple[bytes, str]:
        """The pixels as a file and its MIME type: JPEG (quality 90) when the source was
        a JPEG, lossless PNG otherwise (text in screenshots and scans stays sharp)."""
        buffer = io.BytesIO()
        if self.format == "JPEG":
            self._pil.save(buffer, format="JPEG", quality=90)
            return buffer.getvalue(), "image/jpeg"
        self._pil.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue(), "image/png"

    def __repr__(self) -> str:
        width, height = self.size
        label = self.name or self.sha256[:12]
        return f"Image({label!r}, {width}x{height}, format={self.format})"


def _check_pixels(size: tuple[int, int], limits: MediaLimits) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise CorruptMediaError(f"image has no pixels ({width}x{height})")
    if width * height > limits.max_image_pixels:
        raise MediaTooLargeError(
            f"image is {width}x{height} = {width * height:,} pixels; the limit is "
            f"{limits.max_image_pixels:,} (raise MediaLimits.max_image_pixels to accept it)"
        )


def _decode_image(data: bytes, limits: MediaLimits, path: Path | None) -> PIL.Image.Image:
    where = f" {path}" if path else ""
    try:
        image = PIL.Image.open(io.BytesIO(data))
    except PIL.Image.DecompressionBombError as exc:
        raise MediaTooLargeError(f"image{where} looks like a decompression bomb: {exc}") from exc
    except PIL.UnidentifiedImageError as exc:
        raise UnsupportedMediaError(
            f"image{where} is not in a format Pillow can read ({len(data):,} bytes)"
        ) from exc
    _check_pixels(image.size, limits)
    try:
        image.load()
    except PIL.Image.DecompressionBombError as exc:
        raise MediaTooLargeError(f"image{where} looks like a decompression bomb: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptMediaError(f"image{where} is corrupt or truncated: {exc}") from exc
    return image


def _image_from_array(array: npt.NDArray[Any], limits: MediaLimits) -> PIL.Image.Image:
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise UnsupportedMediaError(
            f"an image array must be H x W, H x W x 3 or H x W x 4, not {array.shape}"
        )
    _check_pixels((array.shape[1], array.shape[0]), limits)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise CorruptMediaError("image array holds NaN or infinite values")
        array = np.clip(array, 0.0, 1.0) * 255.0 + 0.5
    elif array.dtype != np.uint8 and (array.min() < 0 or array.max() > 255):
        raise UnsupportedMediaError(
            f"integer image arrays must hold 0-255, got {array.min()}..{array.max()}"
        )
    return PIL.Image.fromarray(np.ascontiguousarray(array.astype(np.uint8)))


def _to_rgb(image: PIL.Image.Image) -> PIL.Image.Image:
    if image.mode == "RGB":
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        canvas = PIL.Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return PIL.Image.alpha_composite(canvas, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = np.asarray(image, dtype=np.float64)
        peak = max(float(pixels.max()), 1.0)
        image = PIL.Image.fromarray((pixels * (255.0 / peak)).astype(np.uint8))
    return image.convert("RGB")


# libsndfile error codes (sndfile.h)
_SF_ERR_UNRECOGNISED_FORMAT = 1
_SF_ERR_UNSUPPORTED_ENCODING = 4


class Audio:
    """An audio part: mono float32 samples at the source's own rate. Validated on construction.

    ``Audio("question.wav")``, ``Audio(flac_bytes)`` or ``Audio(samples, sample_rate=16000)``
    where samples is (frames,) or (frames, channels), float in [-1, 1] or integer PCM.
    """

    __slots__ = (
        "_resampled",
        "channels",
        "format",
        "name",
        "path",
        "sample_rate",
        "samples",
        "sha256",
    )

    path: Path | None
    name: str | None
    format: str | None
    """Container format reported by libsndfile ("WAV", "FLAC", "OGG", "MP3"...)."""
    channels: int
    """Channels in the source, before down-mixing."""
    sample_rate: int
    """The source's sample rate in Hz."""
    samples: npt.NDArray[np.float32]
    """Mono samples at `sample_rate` (read-only)."""
    sha256: str

    def __init__(
        self,
        source: Source | npt.NDArray[Any],
        *,
        sample_rate: int | None = None,
        name: str | None = None,
        limits: MediaLimits | None = None,
    ) -> None:
        limits = limits or DEFAULT_LIMITS
        self.path = None
        self.format = None
        if isinstance(source, np.ndarray):
            if sample_rate is None:
                raise ConfigurationError("Audio from an array needs sample_rate=")
            frames = _pcm_to_float(source)
            rate = sample_rate
        else:
            if sample_rate is not None:
                raise ConfigurationError(
                    "sample_rate= is only for arrays; files carry their own rate"
                )
            data, self.path = _read_source(source, limits, "audio")
            frames, rate, self.format = _decode_audio(data, limits, self.path)
        if isinstance(rate, bool) or not isinstance(rate, int | np.integer) or rate <= 0:
            raise ConfigurationError(f"sample_rate must be a positive integer, not {rate!r}")
        self.sample_rate = int(rate)
        self.channels = frames.shape[1]
        mono = _validate_audio(frames, self.sample_rate, limits)
        mono.setflags(write=False)
        self.samples = mono
        self.sha256 = _sha256(str(self.sample_rate).encode(), mono.tobytes())
        self.name = name if name is not None else (self.path.name if self.path else None)
        self._resampled: dict[int, npt.NDArray[np.float32]] = {self.sample_rate: mono}

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    def resampled(self, sample_rate: int) -> npt.NDArray[np.float32]:
        """Mono float32 samples at `sample_rate` (soxr, high quality), cached per rate."""
        if sample_rate <= 0:
            raise ConfigurationError(f"sample_rate must be positive, not {sample_rate}")
        cached = self._resampled.get(sample_rate)
        if cached is None:
            cached = soxr.resample(self.samples, self.sample_rate, sample_rate, quality="HQ")
            cached = np.ascontiguousarray(cached, dtype=np.float32)
            cached.setflags(write=False)
            self._resampled[sample_rate] = cached
        return cached

    def wav_bytes(self, sample_rate: int | None = None) -> bytes:
        """The samples as a 16-bit mono WAV file, at `sample_rate` (default: the source's)."""
        rate = sample_rate or self.sample_rate
        buffer = io.BytesIO()
        soundfile.write(buffer, self.resampled(rate), rate, format="WAV", subtype="PCM_16")
        return buffer.getvalue()

    def __repr__(self) -> str:
        label = self.name or self.sha256[:12]
        return f"Audio({label!r}, {self.duration:.2f}s, {self.sample_rate} Hz)"


def media_to_dict(item: Image | Audio) -> dict[str, Any]:
    """An image or a clip as JSON-ready data (the encoded file in base64), for saved states."""
    if isinstance(item, Image):
        data, mime = item.encoded()
        kind = "image"
    else:
        data, mime, kind = item.wav_bytes(), "audio/wav", "audio"
    return {
        "kind": kind,
        "name": item.name,
        "mime": mime,
        "data": base64.b64encode(data).decode("ascii"),
    }


def media_from_dict(data: Mapping[str, Any]) -> Image | Audio:
    """The inverse of `media_to_dict`; the bytes are validated like any new input."""
    kind = data.get("kind")
    try:
        raw = base64.b64decode(str(data["data"]), validate=True)
    except (KeyError, ValueError) as exc:
        raise ConfigurationError(f"saved {kind} media is not valid base64 data") from exc
    if kind == "image":
        return Image(raw, name=data.get("name"))
    if kind == "audio":
        return Audio(raw, name=data.get("name"))
    raise ConfigurationError(f"unknown saved media kind {kind!r}; expected 'image' or 'audio'")


def _pcm_to_float(array: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """(frames,) or (frames, channels) PCM of any common dtype -> float32 (frames, channels)."""
    if array.ndim == 1:
        array = array[:, None]
    elif array.ndim != 2:
        raise InvalidAudioError(
            f"audio arrays are (frames,) or (frames, channels), not {array.shape}"
        )
    if array.shape[1] > 64:
        raise InvalidAudioError(
            f"audio array of shape {array.shape} has {array.shape[1]} channels; arrays are "
            "(frames, channels): transpose a (channels, frames) array first"
        )
    if np.issubdtype(array.dtype, np.floating):
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return ((array.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if np.issubdtype(array.dtype, np.signedinteger):
        scale = float(2 ** (8 * array.dtype.itemsize - 1))
        return (array.astype(np.float64) / scale).astype(np.float32)
    raise InvalidAudioError(f"unsupported audio sample type {array.dtype}")


def _decode_audio(
    data: bytes, limits: MediaLimits, path: Path | None
) -> tuple[npt.NDArray[np.float32], int, str]:
    where = f" {path}" if path else ""
    try:
        info = soundfile.info(io.BytesIO(data))
        if info.samplerate > 0 and info.frames / info.samplerate > limits.max_audio_seconds:
            raise MediaTooLargeError(
                f"audio{where} lasts {info.frames / info.samplerate:.1f} s; the limit is "
                f"{limits.max_audio_seconds:.0f} s (raise MediaLimits.max_audio_seconds)"
            )
        frames, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except soundfile.LibsndfileError as exc:
        if exc.code in (_SF_ERR_UNRECOGNISED_FORMAT, _SF_ERR_UNSUPPORTED_ENCODING):
            raise UnsupportedMediaError(
                f"audio{where} is not in a format libsndfile can read: {exc.error_string}"
            ) from exc
        raise CorruptMediaError(f"audio{where} is corrupt: {exc.error_string}") from exc
    except (RuntimeError, ValueError, TypeError) as exc:
        raise CorruptMediaError(f"audio{where} could not be decoded: {exc}") from exc
    missing = _missing_wav_bytes(data) if info.format in ("WAV", "WAVEX") else 0
    if missing > 0:
        raise CorruptMediaError(
            f"audio{where} is truncated: its data chunk lacks {missing:,} of the bytes "
            "its header promises"
        )
    return frames, int(rate), str(info.format)


def _missing_wav_bytes(data: bytes) -> int:
    """Bytes a RIFF/WAVE file's data chunk promises but does not hold (libsndfile reads
    a truncated WAV without complaint). 0 for streaming writers that leave the size open."""
    offset = 12
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if kind == b"data":
            if size in (0, 0xFFFFFFFF):
                return 0
            return max(0, size - (len(data) - offset - 8))
        offset += 8 + size + (size & 1)
    return 0


def _validate_audio(
    frames: npt.NDArray[np.float32], sample_rate: int, limits: MediaLimits
) -> npt.NDArray[np.float32]:
    if frames.shape[0] == 0 or frames.shape[1] == 0:
        raise EmptyAudioError("audio holds no samples")
    if not np.isfinite(frames).all():
        raise InvalidAudioError("audio holds NaN or infinite samples")
    seconds = frames.shape[0] / sample_rate
    if seconds > limits.max_audio_seconds:
        raise MediaTooLargeError(
            f"audio lasts {seconds:.1f} s; the limit is {limits.max_audio_seconds:.0f} s "
            "(raise MediaLimits.max_audio_seconds)"
        )
    mono = frames.mean(axis=1, dtype=np.float32) if frames.shape[1] > 1 else frames[:, 0]
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if not limits.allow_silence and float(np.abs(mono).max()) < limits.silence_threshold:
        raise SilentAudioError(
            f"audio ({seconds:.2f} s) is silent: no sample reaches {limits.silence_threshold:g} "
            "of full scale (pass MediaLimits(allow_silence=True) to accept it)"
        )
    return mono

"""Image and audio parts: load, validate, normalise.

`Image` and `Audio` take what users have (a path, bytes, a PIL image, a numpy array with
its sample rate), decode it once and refuse bad input with a typed `MediaError`
subclass: missing files, unsupported formats, truncated data, decompression bombs,
empty, silent, non-finite or absurdly loud audio, and anything over the configured
`MediaLimits`. Whatever the decoders raise on bad bytes is translated, so callers catch
one family of errors. The caller's data is never modified.

Images are decoded with Pillow, EXIF orientation applied, and converted to RGB (alpha
composited on white). Audio is decoded with soundfile, down-mixed to mono float32 at its
native rate, and resampled with soxr to whatever rate a consumer asks for.

Which input raises which error:

| input                                                             | error                   |
| ----------------------------------------------------------------- | ----------------------- |
| a path that does not exist or cannot be opened (NUL byte, symlink | `MediaNotFoundError`    |
| loop, no permission)                                              |                         |
| bytes in no known format; EPS (decoding it would run Ghostscript) | `UnsupportedMediaError` |
| truncated or corrupt image or audio (checked against the header's | `CorruptMediaError`     |
| length in every format that has one)                              |                         |
| over `max_bytes`, `max_image_pixels` or `max_audio_seconds`       | `MediaTooLargeError`    |
| no samples                                                        | `EmptyAudioError`       |
| only silence (unless `allow_silence`)                             | `SilentAudioError`      |
| NaN or infinite samples, float samples louder than 16.0 (+24      | `InvalidAudioError`     |
| dBFS), a rate outside 1-384 kHz, more than 64 channels, bad shape |                         |

`max_image_pixels` is checked from the header before any pixel is decoded, with 16-bit
samples counting twice and 32-bit four times, so it bounds memory as well as size.
Images are never padded (even with `PIL.ImageFile.LOAD_TRUNCATED_IMAGES` on): a PNG or
JPEG whose data is shorter than its header promises is refused from its bytes
(`agentsdk.truncation`). A fuzz test (tests/test_media_fuzz.py) mutates valid PNG, JPEG,
WebP, GIF, TIFF, WAV, FLAC, OGG and MP3 files (2,250 cases, fixed seeds) and checks that
each is accepted or refused with a `MediaError` within 5 s. Not detectable: a cut file
without a length field (raw, IRCAM, Ogg cut at a page boundary, MP3 without a Xing
header).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import numpy as np
import numpy.typing as npt
import PIL.Image
import PIL.ImageFile
import PIL.ImageMode
import soundfile
import soxr

from agentsdk.errors import (
    ConfigurationError,
    CorruptMediaError,
    EmptyAudioError,
    InvalidAudioError,
    MediaError,
    MediaNotFoundError,
    MediaTooLargeError,
    SilentAudioError,
    UnsupportedMediaError,
)
from agentsdk.truncation import image_shortfall, missing_data_bytes

__all__ = [
    "MAX_AUDIO_CHANNELS",
    "MAX_SAMPLE_PEAK",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "Audio",
    "Image",
    "Media",
    "MediaLimits",
    "MediaPart",
    "media_from_dict",
    "media_to_dict",
    "read_source",
]

Source = str | os.PathLike[str] | bytes | bytearray | memoryview

MIN_SAMPLE_RATE = 1_000
"""Lowest sample rate accepted, in Hz (below it no speech or music survives)."""
MAX_SAMPLE_RATE = 384_000
"""Highest sample rate accepted, in Hz (the top of studio formats); also bounds the
resampling ratio, which soxr's cost grows with."""
MAX_SAMPLE_PEAK = 16.0
"""Largest |sample| accepted in float audio: +24 dBFS. Real float recordings stay near
[-1, 1]; anything louder is mis-scaled data (integer PCM stored as float) or not audio."""
MAX_AUDIO_CHANNELS = 64
"""Most channels accepted in a file or an array."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLimits:
    """Limits applied to every image and audio input."""

    max_bytes: int = 64 * 1024 * 1024
    """Largest encoded input (file or bytes) accepted."""
    max_image_pixels: int = 50_000_000
    """Largest width x height accepted, checked from the header before any pixel is
    decoded. Pixels whose samples are deeper than 8 bits count 2x (16-bit) or 4x (32-bit
    integer or float), so the limit bounds decoding memory as well as the pixel count.
    Pillow refuses more than 2 x `PIL.Image.MAX_IMAGE_PIXELS` on its own."""
    max_audio_seconds: float = 3600.0
    """Longest audio accepted, checked from the header before decoding and again while
    decoding (which keeps only the mono samples: 4 bytes per frame)."""
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


def read_source(source: Source, limits: MediaLimits, kind: str) -> tuple[bytes, Path | None]:
    """The bytes of a path or a bytes-like `source` (at most `max_bytes`), and the path
    when it was one; missing, unreadable or empty input is a `MediaError`."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        path = None
    else:
        path = Path(source)
        data = _read_file(path, limits, kind)
    if not data:
        raise (EmptyAudioError if kind == "audio" else CorruptMediaError)(f"{kind} input is empty")
    if len(data) > limits.max_bytes:
        raise MediaTooLargeError(
            f"{kind} input is {len(data):,} bytes; the limit is {limits.max_bytes:,}"
        )
    return data, path


def _read_file(path: Path, limits: MediaLimits, kind: str) -> bytes:
    """A regular file's bytes, at most `max_bytes` + 1 of them (a file that grows after
    the size check still cannot exhaust memory). Any path the OS cannot resolve or read
    (missing, NUL byte, symlink loop, name too long, no permission) is a
    `MediaNotFoundError` that gives the OS's reason."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise MediaNotFoundError(f"{kind} file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise MediaNotFoundError(f"{kind} path {str(path)!r} cannot be opened: {exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise MediaNotFoundError(f"{kind} path is not a file: {path}")
    if info.st_size > limits.max_bytes:
        raise MediaTooLargeError(
            f"{kind} file {path} is {info.st_size:,} bytes; the limit is {limits.max_bytes:,} "
            "(raise MediaLimits.max_bytes to accept it)"
        )
    try:
        with path.open("rb") as handle:
            return handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise MediaNotFoundError(f"{kind} file {path} cannot be read: {exc}") from None


def _sha256(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


# -- every media part -------------------------------------------------------------------


class Media:
    """What every media part is: a `modality` (which encoders read it), a `name`, the
    `sha256` of its content, and a payload (the encoded file) that saved states carry.

    A new modality is a subclass (in its own module) with its `modality`, `payload()`
    and `from_payload()`; defining it registers it, so saved states read it back, the
    router sends it to the encoders of its modality, and nothing else changes.
    """

    __slots__ = ()
    modality: ClassVar[str] = ""
    """Which encoders read it (`Encoder.modality`)."""
    name: str | None
    """The file name it came with, if any."""
    sha256: str
    """The content hash that identifies it (and keys the encoders' cache)."""
    _kinds: ClassVar[dict[str, type[Media]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.modality:
            Media._kinds[cls.modality] = cls

    def payload(self) -> tuple[bytes, str]:
        """The part as an encoded file and its MIME type."""
        raise NotImplementedError

    @classmethod
    def from_payload(cls, data: bytes, name: str | None) -> Media:
        """The part again from `payload()`'s bytes, validated like any new input."""
        raise NotImplementedError


# -- images ---------------------------------------------------------------------------


class Image(Media):
    """An image part. Decoded and validated on construction.

    ``Image("receipt.png")``, ``Image(png_bytes)``, ``Image(pil_image)`` or
    ``Image(uint8_array)`` (H x W, H x W x 3 or H x W x 4).

    Any failure to read the image is a `MediaError` subclass: `UnsupportedMediaError`
    for formats Pillow cannot decode (EPS is refused: decoding it runs Ghostscript),
    `CorruptMediaError` for broken or truncated data (truncated images are never padded,
    whatever `PIL.ImageFile.LOAD_TRUNCATED_IMAGES` says), `MediaTooLargeError` before
    decoding when the header is over `MediaLimits`. A malformed EXIF orientation (not an
    integer 1-8) is ignored: the pixels are used as stored.
    """

    __slots__ = ("_pil", "exif_orientation", "format", "name", "original_mode", "path", "sha256")

    modality: ClassVar[str] = "image"

    path: Path | None
    """Where it was read from, when it came from a file."""
    name: str | None
    """A display name: the given name, else the file name."""
    format: str | None
    """The encoded format ("PNG", "JPEG", ...); None for arrays and in-memory images."""
    original_mode: str
    """Pillow mode before conversion to RGB."""
    exif_orientation: int | None
    """The EXIF orientation tag (1-8) that was applied, if the file had a valid one."""
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
            image = _copy_pil(source, limits)
            self.sha256 = _pixel_sha256(image)
        elif isinstance(source, np.ndarray):
            image = _image_from_array(source, limits)
            self.sha256 = _pixel_sha256(image)
        else:
            data, self.path = read_source(source, limits, "image")
            self.sha256 = _sha256(data)
            image = _decode_image(data, limits, _where(self.path))
            self.format = image.format
        self.name = name if name is not None else (self.path.name if self.path else None)
        self.original_mode = image.mode
        self.exif_orientation = _exif_orientation(image)
        with _pillow_errors(f"image{_where(self.path)}"):
            self._pil = _to_rgb(_upright(image, self.exif_orientation))

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

    def payload(self) -> tuple[bytes, str]:
        return self.encoded()

    @classmethod
    def from_payload(cls, data: bytes, name: str | None) -> Image:
        return cls(data, name=name)

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


def _where(path: Path | None) -> str:
    """The path as message text: a space and the path, or nothing for bytes."""
    return f" {path}" if path else ""


def _sample_bytes(mode: str) -> int:
    """Bytes per sample of a Pillow mode once decoded: 1 for 8-bit modes, 2 for I;16*,
    4 for I and F. Unknown modes count 1 (Pillow refuses to decode them anyway)."""
    try:
        return max(1, np.dtype(PIL.ImageMode.getmode(mode).typestr).itemsize)
    except (KeyError, TypeError):
        return 1


def _check_pixels(size: tuple[int, int], mode: str, limits: MediaLimits) -> None:
    """Refuse an image with no pixels, or whose pixel count, weighted by sample depth
    (see `MediaLimits.max_image_pixels`), is over the limit. Needs only the header."""
    width, height = size
    if width <= 0 or height <= 0:
        raise CorruptMediaError(f"image has no pixels ({width}x{height})")
    depth = _sample_bytes(mode)
    cost = width * height * depth
    if cost <= limits.max_image_pixels:
        return
    counted = f"; at {8 * depth} bits per sample it counts as {cost:,}" if depth > 1 else ""
    raise MediaTooLargeError(
        f"image is {width}x{height} = {width * height:,} pixels{counted}; the limit is "
        f"{limits.max_image_pixels:,} (raise MediaLimits.max_image_pixels to accept it)"
    )


@contextmanager
def _pillow_errors(what: str) -> Iterator[None]:
    """Translate whatever Pillow raises on bad data into a `MediaError` subclass.

    Pillow's plugins raise OSError, ValueError, SyntaxError, struct.error,
    NotImplementedError, EOFError, IndexError... depending on the format and the damage,
    so everything but our own errors is caught here: only Pillow calls run inside."""
    try:
        yield
    except MediaError:
        raise
    except (PIL.Image.DecompressionBombError, PIL.Image.DecompressionBombWarning) as exc:
        raise MediaTooLargeError(f"{what} looks like a decompression bomb: {exc}") from exc
    except MemoryError as exc:
        raise MediaTooLargeError(f"{what} needs more memory to decode than is free") from exc
    except PIL.UnidentifiedImageError as exc:
        raise UnsupportedMediaError(f"{what} is not in a format Pillow can read") from exc
    except NotImplementedError as exc:
        raise UnsupportedMediaError(f"{what} uses a feature Pillow cannot decode: {exc}") from exc
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        raise CorruptMediaError(f"{what} is corrupt or truncated: {detail}") from exc


_truncation_lock = threading.Lock()
_strict_decoders = 0
_saved_load_truncated = False


@contextmanager
def _no_truncated_images() -> Iterator[None]:
    """Hold Pillow's global `LOAD_TRUNCATED_IMAGES` off while we decode.

    When some other code turns it on, Pillow pads a truncated image with grey and says
    nothing. The flag is switched off while any decode of ours runs (they count, so
    concurrent decodes do not restore it early) and put back after the last one."""
    global _strict_decoders, _saved_load_truncated
    with _truncation_lock:
        if _strict_decoders == 0:
            _saved_load_truncated = PIL.ImageFile.LOAD_TRUNCATED_IMAGES
        _strict_decoders += 1
        PIL.ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        with _truncation_lock:
            _strict_decoders -= 1
            if _strict_decoders == 0:
                PIL.ImageFile.LOAD_TRUNCATED_IMAGES = _saved_load_truncated


def _readable_formats() -> list[str]:
    """Pillow formats we decode: all it registers but EPS (decoded by running Ghostscript
    on untrusted input) and stub plugins (they identify a format but cannot decode it)."""
    PIL.Image.init()
    return [
        name
        for name, (factory, _accept) in PIL.Image.OPEN.items()
        if name != "EPS"
        and not (isinstance(factory, type) and issubclass(factory, PIL.ImageFile.StubImageFile))
    ]


def _decode_image(data: bytes, limits: MediaLimits, where: str) -> PIL.Image.Image:
    """Open, check the header against the limits, then force the full decode, so that
    every read error surfaces here as a `MediaError`, never later from a lazy load."""
    what = f"image{where}"
    with _pillow_errors(what), _no_truncated_images():
        try:
            image = PIL.Image.open(io.BytesIO(data), formats=_readable_formats())
        except PIL.UnidentifiedImageError as exc:
            raise UnsupportedMediaError(
                f"{what} is not in a format Pillow can read ({len(data):,} bytes)"
            ) from exc
        _check_pixels(image.size, image.mode, limits)
        shortfall = image_shortfall(data, image.format)
        if shortfall:
            raise CorruptMediaError(f"{what} is truncated: {shortfall}")
        image.load()
    # Some formats (ICO, ICNS) learn their real size only while decoding.
    _check_pixels(image.size, image.mode, limits)
    return image


def _copy_pil(source: PIL.Image.Image, limits: MediaLimits) -> PIL.Image.Image:
    """A loaded copy of the caller's PIL image (which may still be a lazy file)."""
    _check_pixels(source.size, source.mode, limits)
    with _pillow_errors("PIL image"), _no_truncated_images():
        image = source.copy()
    _check_pixels(image.size, image.mode, limits)
    return image


def _pixel_sha256(image: PIL.Image.Image) -> str:
    with _pillow_errors("image"):
        return _sha256(image.mode.encode(), str(image.size).encode(), image.tobytes())


def _image_from_array(array: npt.NDArray[Any], limits: MediaLimits) -> PIL.Image.Image:
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise UnsupportedMediaError(
            f"an image array must be H x W, H x W x 3 or H x W x 4, not {array.shape}"
        )
    _check_pixels((array.shape[1], array.shape[0]), "L", limits)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise CorruptMediaError("image array holds NaN or infinite values")
        array = np.clip(array, 0.0, 1.0) * 255.0 + 0.5
    elif not np.issubdtype(array.dtype, np.integer):
        raise UnsupportedMediaError(f"image arrays must hold numbers, not {array.dtype}")
    elif array.dtype != np.uint8 and (array.min() < 0 or array.max() > 255):
        raise UnsupportedMediaError(
            f"integer image arrays must hold 0-255, got {array.min()}..{array.max()}"
        )
    return PIL.Image.fromarray(np.ascontiguousarray(array.astype(np.uint8)))


_EXIF_ORIENTATION_TAG = 0x0112
_ORIENTATION_TRANSPOSE = {
    2: PIL.Image.Transpose.FLIP_LEFT_RIGHT,
    3: PIL.Image.Transpose.ROTATE_180,
    4: PIL.Image.Transpose.FLIP_TOP_BOTTOM,
    5: PIL.Image.Transpose.TRANSPOSE,
    6: PIL.Image.Transpose.ROTATE_270,
    7: PIL.Image.Transpose.TRANSVERSE,
    8: PIL.Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> the transpose that turns the stored pixels upright (as
`PIL.ImageOps.exif_transpose`, without rewriting the EXIF block we do not keep)."""


def _exif_orientation(image: PIL.Image.Image) -> int | None:
    """The EXIF orientation when it is an integer 1-8, else None. Broken EXIF blocks and
    ill-typed tags (ASCII, rationals, lists) are metadata damage, not pixel damage: they
    are ignored rather than refusing a readable image."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION_TAG)
    except Exception:  # any EXIF parse failure means "no orientation"
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return None
    return int(value) if 1 <= value <= 8 else None


def _upright(image: PIL.Image.Image, orientation: int | None) -> PIL.Image.Image:
    method = _ORIENTATION_TRANSPOSE.get(orientation or 1)
    return image.transpose(method) if method is not None else image


_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})


def _to_rgb(image: PIL.Image.Image) -> PIL.Image.Image:
    """RGB pixels: alpha composited on white, deep (16/32-bit) samples scaled to 8 bits.
    Works in place where Pillow allows, so peak memory stays a small multiple of the
    image (no float64 copies of the whole picture)."""
    if image.mode == "RGB":
        return image
    if image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        return _flatten_alpha(image)
    if len(image.getbands()) == 1 and _sample_bytes(image.mode) > 1:
        image = _deep_to_l(image)
    return image.convert("RGB")


def _flatten_alpha(image: PIL.Image.Image) -> PIL.Image.Image:
    """The image over an opaque white canvas."""
    if image.mode == "La":  # premultiplied: Pillow converts it only to LA
        image = image.convert("LA")
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    canvas = PIL.Image.new("RGB", rgba.size, (255, 255, 255))
    canvas.paste(rgba, mask=rgba)
    return canvas


_SCALE_ROWS = 256


def _deep_to_l(image: PIL.Image.Image) -> PIL.Image.Image:
    """A 16- or 32-bit single-band image scaled to 8-bit L: 0 stays black, the brightest
    sample (at least 1) becomes 255, negatives and NaN become 0. Done a few rows at a
    time, so the only full-size copies are the samples and the 8-bit result."""
    pixels = np.asarray(image)
    peak = max(float(np.nanmax(pixels)) if pixels.size else 1.0, 1.0)
    scale = np.float32(255.0 / peak)
    out = np.empty(pixels.shape, dtype=np.uint8)
    for top in range(0, pixels.shape[0], _SCALE_ROWS):
        rows = pixels[top : top + _SCALE_ROWS].astype(np.float32) * scale
        np.nan_to_num(rows, copy=False, nan=0.0, posinf=255.0, neginf=0.0)
        out[top : top + _SCALE_ROWS] = np.clip(rows, 0.0, 255.0, out=rows)
    return PIL.Image.fromarray(out)


# -- audio ----------------------------------------------------------------------------

# libsndfile error codes (sndfile.h)
_SF_ERR_UNRECOGNISED_FORMAT = 1
_SF_ERR_UNSUPPORTED_ENCODING = 4
_UNKNOWN_FRAMES = 1 << 62
"""libsndfile reports SF_COUNT_MAX frames when a stream does not say how long it is."""
_READ_BLOCK_FRAMES = 1 << 16


class Audio(Media):
    """An audio part: mono float32 samples at the source's own rate. Validated on construction.

    ``Audio("question.wav")``, ``Audio(flac_bytes)`` or ``Audio(samples, sample_rate=16000)``
    where samples is (frames,) or (frames, channels), float in [-1, 1] or integer PCM.

    Refused, each with a `MediaError` subclass (a bad `sample_rate=` argument is a
    `ConfigurationError`):

    - sample rates outside `MIN_SAMPLE_RATE`..`MAX_SAMPLE_RATE` (1 kHz .. 384 kHz), and
      more than `MAX_AUDIO_CHANNELS` (64) channels: `InvalidAudioError`;
    - NaN or infinite samples, and float samples whose peak |x| is over `MAX_SAMPLE_PEAK`
      (16.0 = +24 dBFS: integer PCM stored as float, or not audio): `InvalidAudioError`;
    - truncated files, in any format: fewer frames decode than the header declares, or
      the data chunk (WAV, RF64, W64, AIFF, AU, CAF, VOC, NIST) is shorter than its
      header says: `CorruptMediaError`. Formats without a length field (raw, IRCAM, Ogg
      cut at a page boundary) cannot be told from a shorter file.
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

    modality: ClassVar[str] = "audio"

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
            self.sample_rate = _checked_rate_argument(sample_rate)
            frames = _pcm_to_float(source)
            self.channels = frames.shape[1]
            mono = _downmix(frames)
        else:
            if sample_rate is not None:
                raise ConfigurationError(
                    "sample_rate= is only for arrays; files carry their own rate"
                )
            data, self.path = read_source(source, limits, "audio")
            decoded = _decode_audio(data, limits, _where(self.path))
            mono, self.sample_rate, self.channels, self.format = decoded
        _validate_audio(mono, self.sample_rate, limits)
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
        """Mono float32 samples at `sample_rate` (soxr, high quality), cached per rate.
        The rate must be in `MIN_SAMPLE_RATE`..`MAX_SAMPLE_RATE`."""
        sample_rate = _checked_rate_argument(sample_rate)
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

    def payload(self) -> tuple[bytes, str]:
        return self.wav_bytes(), "audio/wav"

    @classmethod
    def from_payload(cls, data: bytes, name: str | None) -> Audio:
        return cls(data, name=name)

    def __repr__(self) -> str:
        label = self.name or self.sha256[:12]
        return f"Audio({label!r}, {self.duration:.2f}s, {self.sample_rate} Hz)"


MediaPart: TypeAlias = Media
"""Every kind of media part (`Media` and its subclasses: `Image`, `Audio`, ...)."""


def media_to_dict(item: Media) -> dict[str, Any]:
    """A media part as JSON-ready data (its encoded file in base64), for saved states."""
    data, mime = item.payload()
    return {
        "kind": item.modality,
        "name": item.name,
        "mime": mime,
        "data": base64.b64encode(data).decode("ascii"),
    }


def media_from_dict(data: Mapping[str, Any]) -> Media:
    """The inverse of `media_to_dict`; the bytes are validated like any new input."""
    kind = data.get("kind")
    made = Media._kinds.get(str(kind))
    if made is None:
        known = ", ".join(repr(k) for k in sorted(Media._kinds))
        raise ConfigurationError(f"unknown saved media kind {kind!r}; expected one of {known}")
    try:
        raw = base64.b64decode(str(data["data"]), validate=True)
    except (KeyError, ValueError) as exc:
        raise ConfigurationError(f"saved {kind} media is not valid base64 data") from exc
    return made.from_payload(raw, data.get("name"))


def _rate_in_range(rate: object) -> bool:
    """Whether `rate` is an integer (not a bool) in MIN_SAMPLE_RATE..MAX_SAMPLE_RATE."""
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer):
        return False
    return bool(MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE)


def _checked_rate_argument(rate: object) -> int:
    """A caller's `sample_rate=` as an int, or a ConfigurationError naming the range."""
    if not _rate_in_range(rate):
        raise ConfigurationError(
            f"sample_rate must be a positive integer from {MIN_SAMPLE_RATE:,} to "
            f"{MAX_SAMPLE_RATE:,} Hz, not {rate!r}"
        )
    assert isinstance(rate, int | np.integer)
    return int(rate)


def _check_samples(frames: npt.NDArray[Any]) -> None:
    """Refuse NaN, infinities and float samples louder than `MAX_SAMPLE_PEAK`."""
    if not np.isfinite(frames).all():
        raise InvalidAudioError("audio holds NaN or infinite samples")
    peak = float(np.abs(frames).max()) if frames.size else 0.0
    if peak > MAX_SAMPLE_PEAK:
        raise InvalidAudioError(
            f"audio peaks at {peak:.3g}; float samples are full scale at 1.0 and are refused "
            f"above {MAX_SAMPLE_PEAK:g} (+24 dBFS). Integer PCM stored as float? Divide it "
            "by 32768 (16-bit) or 2**31 (32-bit), or pass the integer array itself"
        )


def _pcm_to_float(array: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """(frames,) or (frames, channels) PCM of any common dtype -> float32 (frames, channels),
    checked: not empty, finite, not absurdly loud."""
    if array.ndim == 1:
        array = array[:, None]
    elif array.ndim != 2:
        raise InvalidAudioError(
            f"audio arrays are (frames,) or (frames, channels), not {array.shape}"
        )
    if array.shape[1] > MAX_AUDIO_CHANNELS:
        raise InvalidAudioError(
            f"audio array of shape {array.shape} has {array.shape[1]} channels; arrays are "
            "(frames, channels): transpose a (channels, frames) array first"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise EmptyAudioError("audio holds no samples")
    if np.issubdtype(array.dtype, np.floating):
        _check_samples(array)
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return ((array.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if np.issubdtype(array.dtype, np.signedinteger):
        scale = float(2 ** (8 * array.dtype.itemsize - 1))
        return (array.astype(np.float64) / scale).astype(np.float32)
    raise InvalidAudioError(f"unsupported audio sample type {array.dtype}")


def _downmix(frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Mono float32: the mean of the channels (a copy; the input is not changed)."""
    mono = frames.mean(axis=1, dtype=np.float32) if frames.shape[1] > 1 else frames[:, 0]
    return np.array(mono, dtype=np.float32, copy=True, order="C")


class _SoundBytes(io.BytesIO):
    """The bytes libsndfile reads through soundfile's virtual I/O. Damaged headers make
    libsndfile seek before the start; a plain BytesIO raises there, inside a C callback
    where the error cannot be caught, only printed. Here such a seek lands on 0 (what
    libsndfile is told either way) and the decoder's own checks report the damage."""

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET and offset < 0:
            offset = 0
        return super().seek(offset, whence)


@contextmanager
def _soundfile_errors(what: str) -> Iterator[None]:
    """Translate whatever soundfile/libsndfile raise on bad bytes into a `MediaError`."""
    try:
        yield
    except MediaError:
        raise
    except soundfile.LibsndfileError as exc:
        if exc.code in (_SF_ERR_UNRECOGNISED_FORMAT, _SF_ERR_UNSUPPORTED_ENCODING):
            raise UnsupportedMediaError(
                f"{what} is not in a format libsndfile can read: {exc.error_string}"
            ) from exc
        raise CorruptMediaError(f"{what} is corrupt: {exc.error_string}") from exc
    except MemoryError as exc:
        raise MediaTooLargeError(f"{what} needs more memory to decode than is free") from exc
    except Exception as exc:
        raise CorruptMediaError(f"{what} could not be decoded: {exc}") from exc


def _decode_audio(
    data: bytes, limits: MediaLimits, where: str
) -> tuple[npt.NDArray[np.float32], int, int, str]:
    """(mono samples, sample rate, channels, format) of an encoded file, refusing bad
    rates, channel counts and lengths from the header before decoding, and truncation
    after."""
    what = f"audio{where}"
    with _soundfile_errors(what):
        info = soundfile.info(_SoundBytes(data))
    rate, channels, declared = int(info.samplerate), int(info.channels), int(info.frames)
    if not _rate_in_range(rate):
        raise InvalidAudioError(
            f"{what} declares {rate:,} Hz; sample rates from {MIN_SAMPLE_RATE:,} to "
            f"{MAX_SAMPLE_RATE:,} Hz are accepted"
        )
    if not 1 <= channels <= MAX_AUDIO_CHANNELS:
        raise InvalidAudioError(
            f"{what} declares {channels} channels; 1 to {MAX_AUDIO_CHANNELS} are accepted"
        )
    if declared < _UNKNOWN_FRAMES and declared / rate > limits.max_audio_seconds:
        raise _too_long(what, declared / rate, limits)
    with _soundfile_errors(what):
        mono = _read_mono(data, rate, limits, what)
    _check_complete(data, str(info.format), declared, len(mono), what)
    return mono, rate, channels, str(info.format)


def _too_long(what: str, seconds: float, limits: MediaLimits) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"{what} lasts {seconds:.1f} s; the limit is {limits.max_audio_seconds:.0f} s "
        "(raise MediaLimits.max_audio_seconds)"
    )


def _read_mono(data: bytes, rate: int, limits: MediaLimits, what: str) -> npt.NDArray[np.float32]:
    """Decode block by block, checking each block and keeping only its mono mix, so
    memory is 4 bytes per frame whatever the channel count, and a stream that decodes
    to more than `max_audio_seconds` is stopped as soon as it passes the limit."""
    most = int(limits.max_audio_seconds * rate)
    blocks: list[npt.NDArray[np.float32]] = []
    total = 0
    with soundfile.SoundFile(_SoundBytes(data)) as sound:
        while True:
            block = sound.read(_READ_BLOCK_FRAMES, dtype="float32", always_2d=True)
            if block.shape[0] == 0:
                break
            total += block.shape[0]
            if total > most:
                raise _too_long(what, total / rate, limits)
            _check_samples(block)
            blocks.append(_downmix(block))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


def _check_complete(data: bytes, fmt: str, declared: int, decoded: int, what: str) -> None:
    """Refuse a truncated file: fewer frames decoded than the header declares (FLAC, MP3,
    ...), or a data chunk shorter than its header says (PCM containers, which
    libsndfile silently clamps to the bytes present)."""
    if 0 < declared < _UNKNOWN_FRAMES and decoded < declared:
        raise CorruptMediaError(
            f"{what} is truncated: its header declares {declared:,} frames but only "
            f"{decoded:,} decode"
        )
    missing = missing_data_bytes(data, fmt)
    if missing > 0:
        raise CorruptMediaError(
            f"{what} is truncated: its data chunk lacks {missing:,} of the bytes "
            "its header promises"
        )


# -- declared data length of PCM containers --------------------------------------------
def _validate_audio(mono: npt.NDArray[np.float32], sample_rate: int, limits: MediaLimits) -> None:
    """Refuse empty, over-long and (unless allowed) silent audio."""
    if mono.shape[0] == 0:
        raise EmptyAudioError("audio holds no samples")
    seconds = mono.shape[0] / sample_rate
    if seconds > limits.max_audio_seconds:
        raise _too_long("audio", seconds, limits)
    if not limits.allow_silence and float(np.abs(mono).max()) < limits.silence_threshold:
        raise SilentAudioError(
            f"audio ({seconds:.2f} s) is silent: no sample reaches {limits.silence_threshold:g} "
            "of full scale (pass MediaLimits(allow_silence=True) to accept it)"
        )

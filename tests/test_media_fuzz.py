"""Fuzz `Image` and `Audio` with mutated real files: every outcome is acceptance or a
`MediaError` subclass, never another exception, and no case takes 5 s or more.

Seeds are built here (Pillow writes the images, soundfile the audio) and mutated with
byte flips, truncation, insertion, deletion and header-field overwrites. Hypothesis runs
derandomized with no example database, so every CI run tries the same cases.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from functools import cache

import numpy as np
import PIL.Image
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsdk import Audio, Image, MediaError
from agentsdk.media import MAX_SAMPLE_PEAK, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")  # corrupt tags

CASES_PER_SEED = 250  # 9 seeds: 2,250 cases per run
CASE_SECONDS = 5.0

FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=CASES_PER_SEED,
    deadline=None,  # timed by hand below: Hypothesis' deadline also counts its own work
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- seeds ----------------------------------------------------------------------------


def _picture() -> PIL.Image.Image:
    """A small image with noise and flat areas, so every encoder has real work."""
    pixels = np.random.default_rng(7).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    pixels[:, :12] = (200, 40, 40)
    return PIL.Image.fromarray(pixels)


IMAGE_SEEDS: dict[str, Callable[[PIL.Image.Image], PIL.Image.Image]] = {
    "PNG": lambda picture: picture,
    "JPEG": lambda picture: picture,
    "WEBP": lambda picture: picture,
    "GIF": lambda picture: picture.convert("P"),
    "TIFF": lambda picture: picture,
}


@cache
def image_seed(fmt: str) -> bytes:
    buffer = io.BytesIO()
    IMAGE_SEEDS[fmt](_picture()).save(buffer, format=fmt)
    return buffer.getvalue()


AUDIO_SEEDS = {"WAV": "PCM_16", "FLAC": "PCM_16", "OGG": "VORBIS", "MP3": "MPEG_LAYER_III"}


@cache
def audio_seed(fmt: str) -> bytes:
    """A quarter second of a chirp at 8 kHz in `fmt`; skips when this libsndfile cannot
    write the format (MP3 needs libsndfile >= 1.1 built with LAME and mpg123)."""
    if fmt not in soundfile.available_formats():
        pytest.skip(f"this libsndfile ({soundfile.__libsndfile_version__}) has no {fmt} support")
    rate = 8_000
    t = np.arange(rate // 4) / rate
    chirp = (0.5 * np.sin(2 * np.pi * (300 + 2_000 * t) * t)).astype(np.float32)
    buffer = io.BytesIO()
    try:
        soundfile.write(buffer, chirp, rate, format=fmt, subtype=AUDIO_SEEDS[fmt])
    except soundfile.LibsndfileError as exc:  # pragma: no cover - depends on the build
        pytest.skip(f"this libsndfile cannot write {fmt}: {exc}")
    return buffer.getvalue()


# -- mutations ------------------------------------------------------------------------

Mutation = Callable[[st.DrawFn, bytearray], bytearray]


def _position(draw: st.DrawFn, data: bytearray) -> int:
    return draw(st.integers(0, max(len(data) - 1, 0)))


def flip(draw: st.DrawFn, data: bytearray) -> bytearray:
    """XOR one byte with a non-zero mask."""
    if data:
        data[_position(draw, data)] ^= draw(st.integers(1, 255))
    return data


def truncate(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Cut the file short (the commonest damage in the wild)."""
    return data[: _position(draw, data)]


def insert(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Insert up to 64 arbitrary bytes."""
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]


def delete(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Remove a run of up to 256 bytes."""
    at = _position(draw, data)
    return data[:at] + data[at + draw(st.integers(1, 256)) :]


EXTREMES = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**63 - 1)


def overwrite_field(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Overwrite a 1-8 byte integer in the first 128 bytes (where sizes, rates and
    counts live) with an extreme or arbitrary value, in either byte order."""
    width = draw(st.sampled_from((1, 2, 4, 8)))
    if len(data) < width:
        return data
    at = draw(st.integers(0, min(len(data), 128) - width))
    value = draw(st.sampled_from(EXTREMES) | st.integers(0, 2 ** (8 * width) - 1))
    order = draw(st.sampled_from(("little", "big")))
    data[at : at + width] = (value % 2 ** (8 * width)).to_bytes(width, order)
    return data


MUTATIONS: tuple[Mutation, ...] = (flip, truncate, insert, delete, overwrite_field)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` after one to three mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 3))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    return bytes(data)


# -- properties -----------------------------------------------------------------------


def timed(load: Callable[[bytes], object], data: bytes) -> object | MediaError:
    """`load(data)`'s result or its MediaError; any other exception fails the case, and
    so does taking CASE_SECONDS or more."""
    started = time.perf_counter()
    try:
        outcome: object | MediaError = load(data)
    except MediaError as exc:
        outcome = exc
    elapsed = time.perf_counter() - started
    assert elapsed < CASE_SECONDS, f"{len(data):,} bytes took {elapsed:.1f} s"
    return outcome


def check_image(image: Image) -> None:
    pixels = image.to_array()
    width, height = image.size
    assert width > 0 and height > 0
    assert pixels.shape == (height, width, 3) and pixels.dtype == np.uint8


def check_audio(audio: Audio) -> None:
    assert MIN_SAMPLE_RATE <= audio.sample_rate <= MAX_SAMPLE_RATE
    assert audio.samples.dtype == np.float32 and len(audio.samples) > 0
    assert np.isfinite(audio.samples).all()
    assert float(np.abs(audio.samples).max()) <= MAX_SAMPLE_PEAK
    assert np.isfinite(audio.resampled(16_000)).all()


@pytest.mark.parametrize("fmt", sorted(IMAGE_SEEDS))
def test_mutated_images_are_accepted_or_refused_with_a_media_error(fmt: str) -> None:
    assert isinstance(Image(image_seed(fmt)), Image)  # the seed itself is valid

    @FUZZ
    @given(data=mutated(image_seed(fmt)))
    def case(data: bytes) -> None:
        outcome = timed(Image, data)
        if isinstance(outcome, Image):
            check_image(outcome)

    case()


@pytest.mark.parametrize("fmt", sorted(AUDIO_SEEDS))
def test_mutated_audio_is_accepted_or_refused_with_a_media_error(fmt: str) -> None:
    assert isinstance(Audio(audio_seed(fmt)), Audio)

    @FUZZ
    @given(data=mutated(audio_seed(fmt)))
    def case(data: bytes) -> None:
        outcome = timed(Audio, data)
        if isinstance(outcome, Audio):
            check_audio(outcome)

    case()

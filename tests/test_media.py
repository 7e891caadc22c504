"""Image and Audio parts: real files, real decoders, every refusal typed."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageFile
import pytest
import soundfile

from agentsdk import (
    Audio,
    ConfigurationError,
    CorruptMediaError,
    EmptyAudioError,
    Image,
    InvalidAudioError,
    MediaError,
    MediaLimits,
    MediaNotFoundError,
    MediaTooLargeError,
    SilentAudioError,
    UnsupportedMediaError,
)
from agentsdk.media import MAX_SAMPLE_PEAK, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE


def png_bytes(image: PIL.Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions; Pillow reads the header without decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def sine(seconds: float, rate: int, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def wav_bytes(
    samples: np.ndarray, rate: int, fmt: str = "WAV", subtype: str | None = None
) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


# -- images ---------------------------------------------------------------------------


def test_image_from_path_bytes_pil_and_array_agree(tmp_path: Path) -> None:
    pil = PIL.Image.new("RGB", (30, 20), (200, 10, 10))
    path = tmp_path / "red.png"
    pil.save(path)
    from_path, from_bytes = Image(path), Image(path.read_bytes())
    from_pil, from_array = Image(pil), Image(np.asarray(pil))
    for image in (from_path, from_bytes, from_pil, from_array):
        assert image.size == (30, 20)
        assert image.to_array()[0, 0].tolist() == [200, 10, 10]
    assert from_path.sha256 == from_bytes.sha256
    assert from_pil.sha256 == from_array.sha256
    assert from_path.format == "PNG" and from_path.name == "red.png" and from_path.path == path
    assert from_array.format is None


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    pil = PIL.Image.new("RGB", (40, 20), "white")
    pil.paste((0, 0, 255), (0, 0, 10, 20))  # blue on the left edge
    exif = PIL.Image.Exif()
    exif[0x0112] = 6  # stored rotated: display turned 90 degrees clockwise
    path = tmp_path / "rotated.jpg"
    pil.save(path, exif=exif, quality=95)
    image = Image(path)
    assert image.exif_orientation == 6
    assert image.size == (20, 40)
    top_row = image.to_array()[0]
    assert top_row[:, 2].mean() > 200  # the blue edge is now at the top


def test_alpha_is_composited_on_white() -> None:
    transparent = PIL.Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert Image(transparent).to_array()[0, 0].tolist() == [255, 255, 255]
    assert Image(transparent).original_mode == "RGBA"


def test_sixteen_bit_and_palette_images_become_rgb() -> None:
    deep = PIL.Image.fromarray(np.full((3, 3), 65535, dtype=np.uint16))
    assert Image(png_bytes(deep)).to_array().max() == 255
    palette = PIL.Image.new("P", (3, 3), 1)
    palette.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    assert Image(png_bytes(palette)).to_array()[0, 0].tolist() == [0, 255, 0]


def test_to_pil_returns_a_copy() -> None:
    image = Image(PIL.Image.new("RGB", (2, 2), "black"))
    copy = image.to_pil()
    copy.putpixel((0, 0), (255, 255, 255))
    assert image.to_array()[0, 0].tolist() == [0, 0, 0]


def test_missing_image_file() -> None:
    with pytest.raises(MediaNotFoundError, match="not found"):
        Image("/no/such/receipt.png")
    assert issubclass(MediaNotFoundError, FileNotFoundError)


def test_a_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(MediaNotFoundError, match="not a file"):
        Image(tmp_path)


def test_unsupported_image_format() -> None:
    with pytest.raises(UnsupportedMediaError, match="not in a format"):
        Image(b"this is plain text, not an image")


def test_empty_image_bytes() -> None:
    with pytest.raises(CorruptMediaError, match="empty"):
        Image(b"")


def test_truncated_image() -> None:
    noisy = PIL.Image.fromarray(
        np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    )
    data = png_bytes(noisy)
    with pytest.raises(CorruptMediaError, match=r"truncated|corrupt"):
        Image(data[: len(data) // 2])


def test_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(MediaTooLargeError, match=r"pixels|bomb"):
        Image(png_header_only(60_000, 60_000))


def test_pixel_limit_is_configurable() -> None:
    data = png_bytes(PIL.Image.new("RGB", (100, 100)))
    with pytest.raises(MediaTooLargeError, match="10,000 pixels"):
        Image(data, limits=MediaLimits(max_image_pixels=9_999))
    assert Image(data, limits=MediaLimits(max_image_pixels=10_000)).size == (100, 100)
    with pytest.raises(MediaTooLargeError):
        Image(np.zeros((100, 100, 3), np.uint8), limits=MediaLimits(max_image_pixels=10))


def test_byte_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    PIL.Image.new("RGB", (50, 50)).save(path)
    with pytest.raises(MediaTooLargeError, match="bytes"):
        Image(path, limits=MediaLimits(max_bytes=10))
    with pytest.raises(MediaTooLargeError, match="bytes"):
        Image(path.read_bytes(), limits=MediaLimits(max_bytes=10))


def test_image_arrays_are_checked() -> None:
    with pytest.raises(UnsupportedMediaError, match="H x W"):
        Image(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(CorruptMediaError, match="NaN"):
        Image(np.full((2, 2), np.nan))
    with pytest.raises(UnsupportedMediaError, match="0-255"):
        Image(np.full((2, 2), 300, dtype=np.int32))
    assert Image(np.ones((2, 2, 3))).to_array()[0, 0].tolist() == [255, 255, 255]


def test_limits_are_validated() -> None:
    with pytest.raises(ConfigurationError):
        MediaLimits(max_image_pixels=0)
    with pytest.raises(ConfigurationError):
        MediaLimits(silence_threshold=2.0)


# -- images: every failure is a MediaError, checked before decoding -----------------------


def encoded(image: PIL.Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def noise(width: int = 32, height: int = 32) -> PIL.Image.Image:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return PIL.Image.fromarray(pixels)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def streamed_png(width: int, height: int, *, depth: int, colour: int, rows: int) -> bytes:
    """A PNG of mid-grey rows compressed one at a time (a 7000 x 7000 image costs a few
    MB of memory to build); only `rows` of the `height` the header declares are there."""
    samples = {0: 1, 2: 3}[colour] * depth // 8
    row = b"\0" + b"\x80" * (width * samples)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def fits_header_only() -> bytes:
    cards = ["SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 2", "NAXIS1  = 64", "NAXIS2  = 64", "END"]
    return b"".join(card.ljust(80).encode() for card in cards).ljust(2880)


def truncated(fmt: str, fraction: float) -> bytes:
    picture = noise().convert("RGBA") if fmt == "DDS" else noise()
    data = encoded(picture, fmt)
    return data[: max(1, int(len(data) * fraction))]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encoded(noise(), "PNG")[:20], id="png-20-bytes"),
        pytest.param(encoded(noise(), "PNG")[:16], id="png-16-bytes"),
        pytest.param(encoded(noise(), "JPEG")[:6], id="jpeg-6-bytes"),
        pytest.param(encoded(noise(), "JPEG")[:300], id="jpeg-300-bytes"),
        pytest.param(truncated("JPEG", 0.5), id="jpeg-half"),
        pytest.param(encoded(noise(), "WEBP")[:16], id="webp-16-bytes"),
        pytest.param(truncated("WEBP", 0.5), id="webp-half"),
        pytest.param(encoded(noise(), "JPEG2000")[:50], id="jpeg2000-header"),
        pytest.param(truncated("JPEG2000", 0.5), id="jpeg2000-half"),
        pytest.param(fits_header_only(), id="fits-header-only"),
        pytest.param(truncated("PCX", 0.5), id="pcx-half"),
        pytest.param(encoded(noise().convert("RGBA"), "DDS")[:60], id="dds-header"),
        pytest.param(truncated("ICO", 0.47), id="ico-half"),
        pytest.param(truncated("AVIF", 0.5), id="avif-half"),
        pytest.param(truncated("TIFF", 0.5), id="tiff-half"),
        pytest.param(truncated("GIF", 0.5), id="gif-half"),
    ],
)
def test_broken_images_of_every_format_raise_media_errors(data: bytes) -> None:
    """Pillow raises OSError, ValueError, SyntaxError, NotImplementedError... depending on
    the format and the damage; callers see only MediaError subclasses."""
    with pytest.raises((CorruptMediaError, UnsupportedMediaError)):
        Image(data)


def test_exif_orientation_that_is_not_an_integer_is_ignored() -> None:
    ascii_orientation = struct.pack("<HHI4s", 0x0112, 2, 3, b"up\0\0")  # type 2: ASCII
    tiff = b"II*\0" + struct.pack("<IH", 8, 1) + ascii_orientation + struct.pack("<I", 0)
    data = encoded(PIL.Image.new("RGB", (8, 4), "red"), "JPEG", exif=b"Exif\0\0" + tiff)
    image = Image(data)
    assert image.exif_orientation is None and image.size == (8, 4)
    exif = PIL.Image.Exif()
    exif[0x0112] = 99  # out of range
    assert Image(encoded(noise(8, 4), "JPEG", exif=exif)).exif_orientation is None


def test_unusual_pil_modes_become_rgb_or_are_refused() -> None:
    premultiplied = PIL.Image.new("LA", (4, 4), (100, 255)).convert("La")
    assert Image(premultiplied).to_array()[0, 0].tolist() == [100, 100, 100]
    float_image = PIL.Image.fromarray(np.full((3, 3), 0.5, dtype=np.float32))
    assert Image(float_image).to_array()[0, 0].tolist() == [127, 127, 127]
    bad_transparency = PIL.Image.new("P", (4, 4))
    bad_transparency.info["transparency"] = "not bytes"
    with pytest.raises(CorruptMediaError, match="Transparency"):
        Image(bad_transparency)
    out_of_range = PIL.Image.new("P", (4, 4))
    out_of_range.info["transparency"] = b"\0" * 300
    with pytest.raises(CorruptMediaError):
        Image(out_of_range)


def test_a_lazy_pil_image_of_a_truncated_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    path.write_bytes(encoded(noise(64, 64), "PNG")[:500])
    with PIL.Image.open(path) as lazy, pytest.raises(CorruptMediaError):
        Image(lazy)


def test_unreadable_paths_are_media_errors(tmp_path: Path) -> None:
    with pytest.raises(MediaNotFoundError, match="null byte"):
        Image(str(tmp_path / "a\0b.png"))
    loop = tmp_path / "loop.png"
    os.symlink(loop, loop)
    with pytest.raises(MediaNotFoundError, match="symbolic links"):
        Image(loop)
    with pytest.raises(MediaNotFoundError):
        Audio(loop)
    with pytest.raises(MediaNotFoundError):
        Image(tmp_path / "not-a-folder.png" / "x.png")


def test_eps_is_refused_without_running_ghostscript() -> None:
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n%%EndComments\nshowpage\n"
    with pytest.raises(UnsupportedMediaError):
        Image(eps)


def test_deep_pixels_count_more_against_the_limit_and_are_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 110 KB 16-bit 7000 x 7000 PNG once peaked near 1 GB while decoding. 16-bit
    samples count double, so it is over the default 50 M limit, and refused from its
    header: decoding is never started."""

    def never(self: PIL.ImageFile.ImageFile) -> None:
        raise AssertionError("decoded pixels before checking the limit")

    data = streamed_png(7000, 7000, depth=16, colour=0, rows=7000)
    monkeypatch.setattr(PIL.ImageFile.ImageFile, "load", never)
    with pytest.raises(MediaTooLargeError, match=r"7000x7000.*16 bits.*98,000,000"):
        Image(data)
    monkeypatch.undo()
    deep = png_bytes(PIL.Image.fromarray(np.full((100, 100), 40_000, dtype=np.uint16)))
    with pytest.raises(MediaTooLargeError, match="counts as 20,000"):
        Image(deep, limits=MediaLimits(max_image_pixels=15_000))
    assert Image(deep, limits=MediaLimits(max_image_pixels=20_000)).to_array().max() == 255


def test_short_pixel_data_is_corrupt_not_padded() -> None:
    """Pillow fills the missing rows of a PNG whose zlib stream ends early, and libjpeg
    the missing blocks of a JPEG whose scan ends early, without a word."""
    rows_missing = streamed_png(7000, 7000, depth=8, colour=2, rows=10)
    with pytest.raises(CorruptMediaError, match=r"truncated: its pixel data holds"):
        Image(rows_missing)
    small = bytearray(encoded(PIL.Image.new("RGB", (16, 16), "red"), "JPEG"))
    frame = small.find(b"\xff\xc0")
    struct.pack_into(">HH", small, frame + 5, 7000, 7000)  # the header now claims 7000 x 7000
    assert len(small) < 1_500
    with pytest.raises(CorruptMediaError, match=r"truncated: its scans hold"):
        Image(bytes(small))
    interlaced = encoded(noise(33, 17), "PNG", interlace=1)
    assert Image(interlaced).size == (33, 17)  # complete Adam7 data is not short
    assert Image(encoded(noise(33, 17), "JPEG", progressive=True)).size == (33, 17)


def test_truncated_images_are_refused_even_when_pillow_is_told_to_load_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PIL.ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    for fmt in ("JPEG", "PNG"):
        with pytest.raises(CorruptMediaError):
            Image(truncated(fmt, 0.6))
    assert PIL.ImageFile.LOAD_TRUNCATED_IMAGES is True  # the caller's setting is restored


# -- audio ----------------------------------------------------------------------------


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


def test_stereo_file_is_downmixed_and_resampled(tmp_path: Path) -> None:
    left, right = sine(2.0, 44_100), sine(2.0, 44_100) * 0.5
    path = tmp_path / "stereo.wav"
    soundfile.write(path, np.stack([left, right], axis=1), 44_100)
    audio = Audio(path)
    assert (audio.channels, audio.sample_rate, audio.format) == (2, 44_100, "WAV")
    assert audio.duration == pytest.approx(2.0)
    assert audio.samples.dtype == np.float32
    np.testing.assert_allclose(audio.samples, (left + right) / 2, atol=1e-4)
    at16k = audio.resampled(16_000)
    assert len(at16k) == pytest.approx(32_000, abs=2)
    assert dominant_frequency(at16k, 16_000) == pytest.approx(440, abs=1)
    assert audio.resampled(16_000) is at16k  # cached
    assert not at16k.flags.writeable


def test_flac_and_ogg_bytes_decode() -> None:
    tone = sine(0.5, 16_000)
    for fmt in ("FLAC", "OGG"):
        audio = Audio(wav_bytes(tone, 16_000, fmt))
        assert audio.format == fmt
        assert audio.duration == pytest.approx(0.5, abs=0.01)


def test_integer_arrays_are_scaled() -> None:
    pcm = (sine(0.1, 8_000) * 32767).astype(np.int16)
    audio = Audio(pcm, sample_rate=8_000)
    assert audio.samples.max() == pytest.approx(0.5, abs=1e-3)
    unsigned = (sine(0.1, 8_000) * 127 + 128).astype(np.uint8)
    assert Audio(unsigned, sample_rate=8_000).samples.max() == pytest.approx(0.5, abs=0.01)


def test_caller_array_is_untouched() -> None:
    samples = np.stack([sine(0.1, 8_000), sine(0.1, 8_000)], axis=1)
    before = samples.copy()
    Audio(samples, sample_rate=8_000).resampled(16_000)
    np.testing.assert_array_equal(samples, before)


def test_same_audio_has_the_same_hash() -> None:
    data = wav_bytes(sine(0.2, 16_000), 16_000)
    assert Audio(data).sha256 == Audio(data).sha256
    assert Audio(data).sha256 != Audio(wav_bytes(sine(0.2, 16_000, 880), 16_000)).sha256


def test_empty_audio() -> None:
    with pytest.raises(EmptyAudioError):
        Audio(wav_bytes(np.zeros(0, np.float32), 16_000))
    with pytest.raises(EmptyAudioError):
        Audio(np.zeros(0, np.float32), sample_rate=16_000)
    with pytest.raises(EmptyAudioError):
        Audio(b"")


def test_silence_is_refused_unless_allowed() -> None:
    quiet = np.full(16_000, 1e-6, np.float32)
    with pytest.raises(SilentAudioError, match="silent"):
        Audio(quiet, sample_rate=16_000)
    assert Audio(quiet, sample_rate=16_000, limits=MediaLimits(allow_silence=True)).duration == 1.0


def test_non_finite_samples() -> None:
    samples = sine(0.1, 8_000)
    samples[10] = np.nan
    with pytest.raises(InvalidAudioError, match="NaN"):
        Audio(samples, sample_rate=8_000)
    samples[10] = np.inf
    with pytest.raises(InvalidAudioError, match="NaN or infinite"):
        Audio(samples, sample_rate=8_000)


def test_over_long_audio_is_refused_from_the_header() -> None:
    data = wav_bytes(sine(3.0, 8_000), 8_000)
    with pytest.raises(MediaTooLargeError, match=r"3\.0 s"):
        Audio(data, limits=MediaLimits(max_audio_seconds=2))
    with pytest.raises(MediaTooLargeError):
        Audio(sine(3.0, 8_000), sample_rate=8_000, limits=MediaLimits(max_audio_seconds=2))


def test_truncated_wav() -> None:
    data = wav_bytes(sine(1.0, 16_000), 16_000, subtype="PCM_16")
    with pytest.raises(CorruptMediaError, match="truncated"):
        Audio(data[: len(data) // 2])


# -- audio: rates, amplitudes and truncation in every container ---------------------------


def test_sample_rate_is_bounded() -> None:
    tone = sine(0.1, 8_000)
    started = time.perf_counter()
    with pytest.raises(ConfigurationError, match="384,000"):
        Audio(tone, sample_rate=10**16)
    clip = Audio(tone, sample_rate=8_000)
    with pytest.raises(ConfigurationError, match="1,000"):
        clip.resampled(10**9)
    with pytest.raises(ConfigurationError):
        clip.resampled(True)
    assert time.perf_counter() - started < 1  # soxr once spun for 40 s on such ratios
    for rate in (2**31 - 1, 500):
        with pytest.raises(InvalidAudioError, match=r"declares [\d,]+ Hz"):
            Audio(wav_bytes(tone, rate))
    for rate in (MIN_SAMPLE_RATE, MAX_SAMPLE_RATE):
        assert Audio(wav_bytes(sine(0.1, rate), rate)).sample_rate == rate


def test_absurd_amplitudes_are_refused() -> None:
    with pytest.raises(InvalidAudioError, match="peaks at 1e\\+30"):
        Audio(np.full(100, 1e30, np.float32), sample_rate=16_000)
    integers_as_floats = sine(0.1, 8_000) * 32_767
    with pytest.raises(InvalidAudioError, match="Divide it"):
        Audio(integers_as_floats, sample_rate=8_000)
    with pytest.raises(InvalidAudioError, match="peaks"):
        Audio(wav_bytes(sine(0.1, 8_000) * 100, 8_000, subtype="FLOAT"))
    hot = sine(0.1, 8_000) * 2
    assert Audio(hot, sample_rate=8_000).samples.max() == pytest.approx(1.0, abs=1e-3)
    limit = np.full(10, MAX_SAMPLE_PEAK, np.float32)
    assert Audio(limit, sample_rate=8_000).duration > 0
    cancelling = np.stack([np.full(10, 1e30), np.full(10, -1e30)], axis=1)
    with pytest.raises(InvalidAudioError):  # checked before the down-mix hides it
        Audio(cancelling, sample_rate=8_000)


def test_too_many_channels_in_a_file() -> None:
    with pytest.raises(InvalidAudioError, match="65 channels"):
        Audio(wav_bytes(np.full((100, 65), 0.1, np.float32), 8_000))


@pytest.mark.parametrize(
    ("fmt", "subtype"),
    [
        ("WAV", "PCM_16"),
        ("WAVEX", "PCM_16"),
        ("AIFF", "PCM_16"),
        ("AU", "PCM_16"),
        ("W64", "PCM_16"),
        ("RF64", "PCM_16"),
        ("VOC", "PCM_16"),
        ("CAF", "PCM_16"),
        ("NIST", "PCM_16"),
        ("FLAC", "PCM_16"),
        ("MP3", "MPEG_LAYER_III"),
        ("WAV", "FLOAT"),
        ("AIFF", "PCM_24"),
    ],
)
def test_truncated_audio_is_corrupt_in_every_container(fmt: str, subtype: str) -> None:
    """libsndfile trusts the file length over the header for PCM containers and reads
    a cut file as a shorter clip; the header's promise is checked for each of them."""
    data = wav_bytes(sine(1.0, 16_000), 16_000, fmt, subtype)
    assert Audio(data).duration == pytest.approx(1.0, abs=0.06)
    for fraction in (0.5, 0.9):
        with pytest.raises(CorruptMediaError, match=r"truncated|corrupt"):
            Audio(data[: int(len(data) * fraction)])


def test_streamed_wav_without_a_data_size_is_accepted() -> None:
    data = bytearray(wav_bytes(sine(0.5, 16_000), 16_000, subtype="PCM_16"))
    at = data.find(b"data")
    data[at + 4 : at + 8] = b"\xff\xff\xff\xff"  # size unknown, as streaming writers leave it
    assert Audio(bytes(data)).duration == pytest.approx(0.5, abs=0.01)


def test_not_audio() -> None:
    with pytest.raises(UnsupportedMediaError, match="libsndfile"):
        Audio(b"definitely not a sound file" * 10)


def test_missing_audio_file() -> None:
    with pytest.raises(MediaNotFoundError):
        Audio("/no/such/question.wav")


def test_array_shape_and_rate_errors() -> None:
    with pytest.raises(ConfigurationError, match="sample_rate"):
        Audio(sine(0.1, 8_000))
    with pytest.raises(InvalidAudioError, match="transpose"):
        Audio(np.zeros((2, 8_000), np.float32) + 0.1, sample_rate=8_000)
    with pytest.raises(InvalidAudioError, match="frames"):
        Audio(np.zeros((2, 2, 2), np.float32), sample_rate=8_000)
    with pytest.raises(ConfigurationError, match="positive"):
        Audio(sine(0.1, 8_000), sample_rate=0)
    with pytest.raises(ConfigurationError, match="only for arrays"):
        Audio(wav_bytes(sine(0.1, 8_000), 8_000), sample_rate=8_000)


def test_every_refusal_is_a_media_error() -> None:
    for error in (UnsupportedMediaError, CorruptMediaError, MediaTooLargeError, SilentAudioError):
        assert issubclass(error, MediaError)


def test_resized_keeps_the_aspect_and_validates() -> None:
    picture = Image(np.zeros((1000, 2000, 3), dtype=np.uint8), name="wide")
    smaller = picture.resized(500)
    assert smaller.size == (500, 250) and smaller.name == "wide"
    assert picture.resized(4000) is picture
    with pytest.raises(ConfigurationError):
        picture.resized(0)


def test_encoded_is_png_unless_the_source_was_jpeg(tmp_path: Path) -> None:
    array = np.zeros((10, 10, 3), dtype=np.uint8)
    data, mime = Image(array).encoded()
    assert mime == "image/png" and PIL.Image.open(io.BytesIO(data)).format == "PNG"
    path = tmp_path / "photo.jpg"
    PIL.Image.fromarray(array).save(path, format="JPEG")
    data, mime = Image(path).encoded()
    assert mime == "image/jpeg" and PIL.Image.open(io.BytesIO(data)).format == "JPEG"


def test_wav_bytes_and_saved_media_round_trip() -> None:
    from agentsdk.media import media_from_dict, media_to_dict

    clip = Audio(np.full(8000, 0.5, dtype=np.float32), sample_rate=8000, name="tone")
    back = Audio(clip.wav_bytes(16_000))
    assert back.sample_rate == 16_000 and abs(back.duration - 1.0) < 1e-3
    again = media_from_dict(media_to_dict(clip))
    assert isinstance(again, Audio) and again.name == "tone" and again.sample_rate == 8000
    with pytest.raises(ConfigurationError, match="base64"):
        media_from_dict({"kind": "image", "data": "not base64!"})
    with pytest.raises(ConfigurationError, match="unknown saved media kind"):
        media_from_dict({"kind": "hologram", "data": ""})

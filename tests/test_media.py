"""Image and Audio parts: real files, real decoders, every refusal typed."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL.Image
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
        media_from_dict({"kind": "video", "data": ""})

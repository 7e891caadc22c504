"""Container checks: data shorter than its header promises, read from the bytes alone."""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest
import soundfile

from agentsdk.truncation import image_shortfall, missing_data_bytes


def _image(fmt: str) -> bytes:
    pixels = np.random.default_rng(1).integers(0, 255, (64, 48, 3), np.uint8)
    out = io.BytesIO()
    PIL.Image.fromarray(pixels).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_whole_image_has_no_shortfall_and_a_cut_one_has(fmt: str) -> None:
    data = _image(fmt)
    assert image_shortfall(data, fmt) is None
    cut = data[: len(data) // 3]
    if fmt == "JPEG":  # a few bytes of scan, then an end marker: libjpeg would say nothing
        cut = data[: data.index(b"\xff\xda") + 20] + b"\xff\xd9"
    assert image_shortfall(cut, fmt)


def test_formats_without_a_check_are_left_to_their_decoder() -> None:
    assert image_shortfall(b"GIF89a...", "GIF") is None


@pytest.mark.parametrize("fmt", ["WAV", "AIFF", "AU", "W64", "RF64"])
def test_cut_audio_misses_what_its_header_promises(fmt: str) -> None:
    out = io.BytesIO()
    soundfile.write(out, np.zeros(8000, np.float32), 16000, format=fmt, subtype="PCM_16")
    data = out.getvalue()
    assert missing_data_bytes(data, fmt) == 0
    assert missing_data_bytes(data[:-1000], fmt) == 1000
    assert missing_data_bytes(data, "FLAC") == 0  # no data length to check

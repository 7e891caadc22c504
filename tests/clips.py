"""Short video clips made on the fly: slides drawn with Pillow, an espeak-ng voice (or a
tone), muxed with PyAV."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

FPS = 10
SIZE = (320, 240)


def slide(text: str, size: tuple[int, int] = SIZE) -> np.ndarray:
    """A white slide with `text` in large black letters, as an RGB array."""
    picture = PILImage.new("RGB", size, "white")
    draw = ImageDraw.Draw(picture)
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.truetype(
            "DejaVuSans.ttf", 28
        )
    except OSError:
        font = ImageFont.load_default()
    for row, line in enumerate(text.splitlines()):
        draw.text((16, 30 + 40 * row), line, fill="black", font=font)
    return np.asarray(picture)


def speech(text: str, rate: int = 16_000) -> np.ndarray:
    """`text` spoken by espeak-ng, mono float32 at `rate` (a tone when espeak-ng is absent)."""
    if shutil.which("espeak-ng") is None:
        t = np.arange(int(rate * 1.5)) / rate
        return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "voice.wav"
        subprocess.run(["espeak-ng", "-w", str(out), text], check=True, capture_output=True)
        samples, source_rate = soundfile.read(out, dtype="float32")
    if source_rate != rate:
        import soxr

        samples = soxr.resample(samples, source_rate, rate).astype(np.float32)
    return np.asarray(samples, np.float32)


def make_clip(
    slides: Sequence[tuple[str, float]],
    said: str | None = None,
    *,
    container: str = "mp4",
    voice_at: float = 0.5,
) -> bytes:
    """A clip showing each (text, seconds) slide in turn, with `said` spoken from
    `voice_at` seconds (no sound track when None)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        video = muxer.add_stream("mpeg4", rate=FPS)
        video.width, video.height = SIZE
        video.pix_fmt = "yuv420p"
        sound = None
        if said is not None:
            sound = muxer.add_stream("aac", rate=16_000)
            sound.layout = "mono"
        for text, seconds in slides:
            pixels = slide(text)
            for _ in range(int(seconds * FPS)):
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                for packet in video.encode(frame):
                    muxer.mux(packet)
        for packet in video.encode(None):
            muxer.mux(packet)
        if sound is not None and said is not None:
            samples = np.concatenate([np.zeros(int(16_000 * voice_at), np.float32), speech(said)])
            step = 1024
            for start in range(0, len(samples), step):
                chunk = samples[start : start + step].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                frame.sample_rate = 16_000
                frame.pts = start
                frame.time_base = Fraction(1, 16_000)
                for packet in sound.encode(frame):
                    muxer.mux(packet)
            for packet in sound.encode(None):
                muxer.mux(packet)
    return out.getvalue()

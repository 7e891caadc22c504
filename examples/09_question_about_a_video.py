"""09: a question about a video. OCR reads the frames (the first, each scene change, one
every two seconds), Whisper hears the sound track, and both become one timeline the
model answers from. Without a video of your own, the script makes a short clip first:
two slides drawn with Pillow, a sentence spoken by the stock voice, muxed with PyAV.
The stock model is small (135M): ask what one slide shows or what was said; it does
not summarise a long talk.

Run it (after `python3 tools/bootstrap.py demo`):

    .venv/bin/python examples/09_question_about_a_video.py [VIDEO] ["question"]

It prints the video, what was seen and heard (with times into the clip) and the answer,
e.g.

    video: report.mp4 (4.0 s, 480x270, with sound)
    seen and heard (facts+ocr+speech, confidence 0.53):
        00:00 slide reads: Quarterly report
        00:00 frame is: 480x270 in-memory image, landscape; mostly white 98%; looks like a document
        00:00 speaker says: Sales went up this year.
        00:01 slide reads: Revenue 42
        00:01 frame is: 480x270 in-memory image, landscape; mostly white 99%; looks like a ...
    question: What was the revenue?
    answer: 42
"""

from __future__ import annotations

import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from agentsdk import Agent, GenerationSettings, Kit, Limits, Video

FPS = 10
SIZE = (480, 270)
SLIDES = [("Quarterly report", 1.5), ("Revenue 42", 2.5)]  # (text, seconds shown)
SAID = "Sales went up this year."


def draw_slide(text: str) -> np.ndarray:
    """A white slide with `text` in large black letters, as an RGB array."""
    picture = PILImage.new("RGB", SIZE, "white")
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            "DejaVuSans.ttf", 32
        )
    except OSError:  # no DejaVu font installed: Pillow's own, at the same size
        font = ImageFont.load_default(32)
    ImageDraw.Draw(picture).multiline_text((24, 40), text, fill="black", font=font, spacing=16)
    return np.asarray(picture)


def make_clip(path: Path, kit: Kit) -> Path:
    """An MP4 showing SLIDES in turn, with SAID spoken by the kit's voice from 0.5 s."""
    voice = kit.voice.synthesize(SAID)
    rate = voice.sample_rate
    sound = np.concatenate([np.zeros(rate // 2, np.float32), voice.resampled(rate)])
    with av.open(str(path), mode="w") as muxer:
        video = muxer.add_stream("mpeg4", rate=FPS)
        video.width, video.height = SIZE
        video.pix_fmt = "yuv420p"
        audio = muxer.add_stream("aac", rate=rate)
        audio.layout = "mono"
        for text, seconds in SLIDES:
            frame = av.VideoFrame.from_ndarray(draw_slide(text), format="rgb24")
            for _ in range(round(seconds * FPS)):
                muxer.mux(video.encode(frame))
        muxer.mux(video.encode(None))
        for start in range(0, len(sound), 1024):
            chunk = av.AudioFrame.from_ndarray(
                sound[start : start + 1024].reshape(1, -1), format="flt", layout="mono"
            )
            chunk.sample_rate, chunk.pts, chunk.time_base = rate, start, Fraction(1, rate)
            muxer.mux(audio.encode(chunk))
        muxer.mux(audio.encode(None))
    return path


def main(video_path: Path | None, question: str) -> None:
    kit = Kit.stock()
    agent = Agent(
        kit=kit,  # kit.video: frames to OCR and facts, the sound track to Whisper
        limits=Limits(max_steps=2),
        # one short line: a small model writing freely runs on after its answer
        settings=GenerationSettings(max_tokens=48, stop=("\n",)),
    )
    with tempfile.TemporaryDirectory() as folder:
        if video_path is None:
            video_path = make_clip(Path(folder) / "report.mp4", kit)
        video = Video(video_path)
        width, height = video.size
        sound = "with sound" if video.has_audio else "no sound"
        print(f"video: {video.name} ({video.duration:.1f} s, {width}x{height}, {sound})")
        result = agent.run([question, video])
    for observation in result.observations:
        if observation.kind == "video":
            print(f"seen and heard ({observation.model}, confidence {observation.confidence:.2f}):")
            print("\n".join("    " + line for line in observation.text.splitlines()))
    print(f"question: {question}")
    print(f"answer: {result.text}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else None,
        sys.argv[2] if len(sys.argv) > 2 else "What was the revenue?",
    )

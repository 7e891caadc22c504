"""The video encoder: frames to the image encoders, sound to speech, one timeline."""

from __future__ import annotations

from typing import Any

import pytest

from agentsdk import Agent, Kit, ScriptedModel
from agentsdk.encoders.base import Observation
from agentsdk.encoders.video import LABEL, VideoEncoder
from agentsdk.errors import ConfigurationError
from agentsdk.fusion import fuse
from agentsdk.media import Audio, Image, Media
from agentsdk.router import Router
from agentsdk.video import Video
from tests.clips import make_clip


class SlideReader:
    """Reads a frame as the slide shown at its time (the clip below: A, then B, then A)."""

    name, modality, cache_key = "ocr", "image", "slides"

    def encode(self, part: Media) -> Observation:
        assert isinstance(part, Image) and part.name is not None
        seconds = float(part.name.rsplit("@", 1)[1].rstrip("s"))
        text = "Budget 42" if 1.0 <= seconds < 3.0 else "Agenda"
        return Observation(
            kind="ocr", text=text, confidence=0.9, encoder="ocr", model="m", part_id="x"
        )


class Ears:
    name, modality, cache_key = "speech", "audio", "ears"

    def encode(self, part: Media) -> Observation:
        assert isinstance(part, Audio)
        segments: list[dict[str, Any]] = [
            {"start": 0.5, "end": 1.5, "text": " Welcome.", "confidence": 0.8},
            {"start": 2.0, "end": 3.0, "text": " The budget is tight.", "confidence": 0.6},
        ]
        return Observation(
            kind="speech",
            text="Welcome. The budget is tight.",
            confidence=0.7,
            encoder="speech",
            model="w",
            part_id="y",
            details={"segments": segments},
        )


@pytest.fixture(scope="module")
def clip() -> Video:
    data = make_clip([("A", 1.0), ("B", 2.0), ("A", 1.0)], "Welcome.")
    return Video(data, name="meeting.mp4")


def test_a_timeline_in_time_order_with_each_reading_once(clip: Video) -> None:
    seen = VideoEncoder([SlideReader()], Ears()).encode(clip)
    assert seen.kind == "video" and seen.label == LABEL and seen.part_name == "meeting.mp4"
    assert seen.text.splitlines() == [
        "00:00 slide reads: Agenda",
        "00:00 speaker says: Welcome.",
        "00:01 slide reads: Budget 42",
        "00:02 speaker says: The budget is tight.",
        "00:03 slide reads: Agenda",
    ]
    assert seen.confidence == 0.6  # the least sure part
    assert [e["encoder"] for e in seen.details["timeline"]][:2] == ["ocr", "speech"]
    assert seen.details["duration"] == pytest.approx(4.0, abs=0.2)


def test_a_timeline_ranks_with_speech_in_fusion(clip: Video) -> None:
    seen = VideoEncoder([SlideReader()]).encode(clip)
    prompt = fuse("what is on the slides?", [seen], budget=4096)
    assert f"section 1: {LABEL} of meeting.mp4" in prompt.text
    assert "00:01 slide reads: Budget 42" in prompt.text


def test_the_video_encoder_reads_videos_only() -> None:
    with pytest.raises(ConfigurationError, match="reads videos"):
        VideoEncoder([SlideReader()]).encode(_image())
    with pytest.raises(ConfigurationError):
        VideoEncoder(every=0)


def _image() -> Image:
    import numpy as np

    return Image(np.zeros((4, 4, 3), np.uint8))


def test_a_router_sends_videos_to_the_video_encoder(clip: Video) -> None:
    router = Router(encoders=[SlideReader(), VideoEncoder([SlideReader()])])
    assert [e.name for _, e in router.jobs([clip, _image()])] == ["video", "ocr"]


@pytest.mark.stock
def test_the_stock_kit_reads_and_hears_a_clip() -> None:
    data = make_clip([("Quarterly report", 1.5), ("Revenue 42", 2.5)], "Sales went up this year.")
    kit = Kit.stock()
    seen = kit.video.encode(Video(data, name="report.mp4"))
    lines = seen.text.splitlines()
    assert any("slide reads" in line and "Revenue 42" in line for line in lines), lines
    assert any("speaker says" in line and "year" in line.lower() for line in lines), lines
    result = Agent(kit=kit, model=ScriptedModel(["noted"])).run(
        ["What does the second slide say?", Video(data, name="report.mp4")]
    )
    assert result.observations[0].kind == "video"
    assert LABEL in result.prompt.text and "Revenue 42" in result.prompt.text

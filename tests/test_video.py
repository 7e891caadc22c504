"""Video parts: decoded with PyAV, sampled at scene changes, typed errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsdk import MediaError
from agentsdk.errors import (
    CorruptMediaError,
    MediaNotFoundError,
    MediaTooLargeError,
    UnsupportedMediaError,
)
from agentsdk.media import MediaLimits, media_from_dict, media_to_dict
from agentsdk.video import MAX_FRAMES, Video
from tests.clips import make_clip


@pytest.fixture(scope="module")
def clip() -> bytes:
    return make_clip([("Agenda", 1.0), ("Revenue 42", 3.0), ("Thanks", 1.0)], "Hello there.")


def test_a_clip_has_frames_at_scene_changes_and_a_sound_track(clip: bytes) -> None:
    video = Video(clip, name="talk.mp4")
    assert video.modality == "video" and video.size == (320, 240)
    assert video.duration == pytest.approx(5.0, abs=0.2) and video.has_audio
    times = [seconds for seconds, _ in video.frames(every=2.0)]
    # the first frame, the two scene changes, and one two seconds into the long slide
    assert times == pytest.approx([0.0, 1.0, 3.0, 4.0], abs=0.11)
    assert all(image.size == (320, 240) for _, image in video.frames(every=2.0))
    sound = video.audio()
    assert sound is not None and sound.sample_rate == 16_000 and sound.duration > 0.5
    assert video.frames(every=2.0) is video.frames(every=2.0)  # decoded once


def test_a_silent_clip_has_no_sound_track_and_frames_are_bounded() -> None:
    video = Video(make_clip([("One", 1.0)]))
    assert video.audio() is None and not video.has_audio
    assert len(video.frames(every=0.01)) <= MAX_FRAMES


def test_a_video_round_trips_through_saved_state(clip: bytes) -> None:
    video = Video(clip, name="talk.mp4")
    again = media_from_dict(media_to_dict(video))
    assert isinstance(again, Video) and again.sha256 == video.sha256 and again.name == "talk.mp4"
    assert media_to_dict(video)["mime"] == "video/mp4"


def test_other_containers_read_too() -> None:
    video = Video(make_clip([("Hi", 1.0)], container="matroska"))
    assert "matroska" in video.format and video.payload()[1] == "video/x-matroska"


def test_bad_videos_are_typed_errors(clip: bytes, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMediaError):
        Video(b"this is not a video at all" * 10)
    with pytest.raises(CorruptMediaError, match="empty"):
        Video(b"")
    with pytest.raises(MediaNotFoundError):
        Video(tmp_path / "missing.mp4")
    with pytest.raises(MediaError):
        Video(clip[: len(clip) // 3])
    with pytest.raises(MediaTooLargeError, match="lasts"):
        Video(clip, limits=MediaLimits(max_audio_seconds=2))
    with pytest.raises(MediaTooLargeError, match="pixels"):
        Video(clip, limits=MediaLimits(max_image_pixels=10_000))


@settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mutated_clip_is_accepted_or_a_media_error(clip: bytes, data: st.DataObject) -> None:
    mutated = bytearray(clip)
    for _ in range(data.draw(st.integers(1, 8))):
        where = data.draw(st.integers(0, len(mutated) - 1))
        mutated[where] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(mutated) // 2, len(mutated)))
    try:
        video = Video(bytes(mutated[:cut]))
        video.frames()
        video.audio()
    except MediaError:
        pass


def test_kept_frames_are_scaled_down_to_bound_memory(
    clip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agentsdk.video as video_module

    monkeypatch.setattr(video_module, "FRAME_SIDE", 160)
    frames = Video(clip).frames()
    assert frames and all(max(image.size) == 160 for _, image in frames)

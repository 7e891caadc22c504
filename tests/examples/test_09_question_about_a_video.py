"""examples/09_question_about_a_video.py"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clips import make_clip
from tests.examples.run_example import run_example


def _timeline(out: str) -> list[str]:
    lines = out.split("seen and heard (", 1)[1].split("\nquestion: ", 1)[0].splitlines()[1:]
    return [line.strip() for line in lines]


@pytest.mark.stock
def test_09_reads_and_hears_the_clip_it_makes_and_answers_from_it(tmp_path: Path) -> None:
    out = run_example("09_question_about_a_video.py", cwd=tmp_path)
    assert out.startswith("video: report.mp4 (4.0 s, 480x270, with sound)"), out
    timeline = _timeline(out)
    assert "00:01 slide reads: Revenue 42" in timeline, out
    heard = [line for line in timeline if " speaker says: " in line]
    assert heard and "year" in heard[0].lower(), out  # the stock voice, heard by Whisper
    assert "\nquestion: What was the revenue?\n" in out
    assert "42" in out.rsplit("answer: ", 1)[1], out


@pytest.mark.stock
def test_09_answers_about_a_video_of_your_own(tmp_path: Path) -> None:
    clip = tmp_path / "mine.mp4"  # another number on the slide, spoken by espeak-ng
    clip.write_bytes(make_clip([("Quarterly report", 1.5), ("Revenue 58", 2.5)], "Sales went up."))
    out = run_example(
        "09_question_about_a_video.py", str(clip), "What was the revenue?", cwd=tmp_path
    )
    assert out.startswith("video: mine.mp4 (4.0 s, 320x240, with sound)"), out
    assert "00:01 slide reads: Revenue 58" in _timeline(out), out
    answer = out.rsplit("answer: ", 1)[1]
    assert "58" in answer and "42" not in answer, out

"""examples/03_voice_question_spoken_answer.py"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.run_example import run_example


@pytest.mark.stock
def test_03_a_spoken_question_gets_a_spoken_answer(tmp_path: Path) -> None:
    from agentsdk import Audio

    out = run_example("03_voice_question_spoken_answer.py", "answer.wav", cwd=tmp_path)
    assert out.startswith("heard (confidence ") and "\nanswer: " in out
    assert "spoken answer: answer.wav" in out
    spoken = Audio(tmp_path / "answer.wav")
    assert spoken.duration > 0.5

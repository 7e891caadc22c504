"""The examples run as a user would run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.stock
def test_the_pytest_eval_pattern_gives_one_test_per_case() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "AGENTSDK_EVAL_LIMIT": "3"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "examples" / "test_agent_evals.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: some case failed
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed)", done.stdout)}
    assert sum(counts.values()) == 3, done.stdout
    if counts.get("failed"):
        assert "tool_call: " in done.stdout  # a failing case says why


def _run_example(name: str, *args: str, cwd: Path) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.stock
def test_02_ask_about_an_image_prints_what_was_read_and_the_answer(tmp_path: Path) -> None:
    out = _run_example("02_ask_about_an_image.py", cwd=tmp_path)
    assert out.startswith("read (") and "\nquestion: " in out
    # the bundled receipt prints no total: its four prices add up to 25.45
    assert out.rsplit("answer: ", 1)[1].strip() == "25.45"


@pytest.mark.stock
def test_03_a_spoken_question_gets_a_spoken_answer(tmp_path: Path) -> None:
    from agentsdk import Audio

    out = _run_example("03_voice_question_spoken_answer.py", "answer.wav", cwd=tmp_path)
    assert out.startswith("heard (confidence ") and "\nanswer: " in out
    assert "spoken answer: answer.wav" in out
    spoken = Audio(tmp_path / "answer.wav")
    assert spoken.duration > 0.5

"""examples/test_agent_evals.py: the pytest pattern for evals, one test per case."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.examples.run_example import EXAMPLES, ROOT


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
            str(EXAMPLES / "test_agent_evals.py"),
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

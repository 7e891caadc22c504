"""Runs an example script as a user would: a fresh interpreter, offline, in `cwd`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str, cwd: Path, timeout: float = 600, stdin: str = "") -> str:
    """The example's stdout; fails the test with its output when it exits non-zero."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        input=stdin,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout

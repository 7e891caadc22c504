"""examples/02_ask_about_an_image.py"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.run_example import run_example


@pytest.mark.stock
def test_02_prints_what_was_read_and_the_answer(tmp_path: Path) -> None:
    out = run_example("02_ask_about_an_image.py", cwd=tmp_path)
    assert out.startswith("read (") and "\nquestion: " in out
    # the bundled receipt prints no total: its four prices add up to 25.45
    assert out.rsplit("answer: ", 1)[1].strip() == "25.45"

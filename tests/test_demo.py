"""`agentsdk demo` on the stock kit: the main job, end to end."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from agentsdk import ConfigurationError
from agentsdk.demo import default_assets, run_demo


def test_the_demo_assets_are_committed() -> None:
    image, audio = default_assets()
    assert image.is_file() and audio.is_file()


def test_missing_inputs_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--image and --audio"):
        run_demo(tmp_path / "nope.png", tmp_path / "nope.wav", out=io.StringIO())


@pytest.mark.stock
def test_demo_hears_reads_calls_the_calculator_and_answers() -> None:
    out = io.StringIO()
    result = run_demo(out=out)
    printed = out.getvalue()
    kinds = {o.kind for o in result.observations}
    assert {"speech", "ocr", "facts"} <= kinds
    speech = next(o for o in result.observations if o.kind == "speech")
    ocr = next(o for o in result.observations if o.kind == "ocr")
    assert "total" in speech.text.lower()
    assert "12.50" in ocr.text and "5.60" in ocr.text
    for needle in ("heard (speech", "read (ocr", "prompt:", "answer:", "timings:"):
        assert needle in printed
    assert result.tool_calls, printed
    assert result.tool_calls[0].name == "calculator"
    assert not result.tool_results[0].is_error, printed
    assert "tool call: calculator(" in printed
    # the four prices add up to 25.45: the result, and the answer states it
    assert result.tool_results[0].content == "25.45", printed
    assert re.search(r"(?<![\d.])25\.45(?![\d])", result.text), printed
    assert "answer: 25.45" in printed

"""examples/01_text_chat_with_a_tool.py"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.examples.run_example import run_example


@pytest.mark.stock
def test_01_each_turn_calls_the_tool_that_fits(tmp_path: Path) -> None:
    out = run_example("01_text_chat_with_a_tool.py", cwd=tmp_path)
    turns = out.split("you> ")[1:]
    assert len(turns) == 3
    # arithmetic goes to the calculator, with the numbers of the request
    assert "[calculator {'expression': '17.5 * 4'} -> 70]" in turns[0]
    assert turns[0].rstrip().endswith("agent> 70")
    assert "[calculator {'expression': '1200 / 16'} -> 75]" in turns[1]
    # a question about a city goes to the script's own tool, and its result is the answer
    call = re.search(r"\[local_time \{'city': 'Tokyo'\} -> (\d\d:\d\d in Asia/Tokyo)\]", turns[2])
    assert call is not None, turns[2]
    assert turns[2].rstrip().endswith("agent> " + call.group(1))


@pytest.mark.stock
def test_01_turns_given_on_the_command_line(tmp_path: Path) -> None:
    out = run_example(
        "01_text_chat_with_a_tool.py", "What is 20 percent of 45?", "Hello!", cwd=tmp_path
    )
    assert "[calculator {'expression': '20 / 100 * 45'} -> 9]" in out
    assert out.count("agent> ") == 2

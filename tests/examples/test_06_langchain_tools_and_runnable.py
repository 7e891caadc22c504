"""examples/06_langchain_tools_and_runnable.py"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.examples.run_example import run_example


@pytest.mark.stock
def test_06_calls_the_langchain_tools_and_runs_as_a_chain(tmp_path: Path) -> None:
    out = run_example(
        "06_langchain_tools_and_runnable.py", "Will it snow in Oslo today?", cwd=tmp_path
    )
    lines = out.splitlines()
    assert lines[0] == "question: Will it snow in Oslo today?"
    # the langchain weather tool ran with the city the question names, and its forecast
    # is the answer
    assert lines[1] == 'tool call: get_weather({"city": "Oslo"}) -> snow, -3 C', out
    assert lines[2].startswith("answer: ") and "snow" in lines[2], out
    # the agent as a Runnable behind a prompt template: each order number reached the
    # langchain order tool (an unknown one comes back as the tool says it)
    invoked = re.search(r'^chain\.invoke\(\{"order_id": "A-1042"\}\): (.+)$', out, re.MULTILINE)
    assert invoked is not None and invoked[1] == "shipped", out
    batched = re.search(r"^chain\.batch\(A-1042, C-55, B-7\): (\[.*\])$", out, re.MULTILINE)
    assert batched is not None, out
    assert ast.literal_eval(batched[1]) == ["shipped", "no order C-55", "delivered"]

"""examples/05_evaluate_your_own_suite.py"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.examples.run_example import run_example


@pytest.mark.stock
def test_05_scores_each_case_and_writes_the_report_and_results(tmp_path: Path) -> None:
    out = run_example("05_evaluate_your_own_suite.py", "report.html", "results.json", cwd=tmp_path)
    cases = re.findall(r"^case (\S+): (passed|failed|error)\b", out, re.MULTILINE)
    assert [case for case, _ in cases] == ["weather-oslo", "order-b7", "receipt-total", "no-tool"]
    score = re.search(r"^score: (\d+)/(\d+) passed \((\d+)%\), mean ([\d.]+)", out, re.MULTILINE)
    assert score is not None, out
    passed, scored, mean = int(score[1]), int(score[2]), float(score[4])
    assert scored == 4 and passed == sum(verdict == "passed" for _, verdict in cases)
    assert 0.0 <= mean <= 1.0
    # the user's own tools were called with the arguments the questions name
    verdicts = dict(cases)
    assert verdicts["weather-oslo"] == verdicts["order-b7"] == "passed", out
    assert re.search(r"^case order-b7: passed .* answer: delivered$", out, re.MULTILINE), out

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["summary"]["cases"] == 4 and results["summary"]["passed"] == passed
    order = next(r for r in results["results"] if r["case"]["id"] == "order-b7")
    call = order["tool_calls"][0]["function"]
    assert call == {"name": "order_status", "arguments": {"order_id": "B-7"}}
    assert order["executed"] == ["order_status"]
    assert {s["name"] for s in order["scores"]} == {"tool_call", "contains", "concise"}
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert report.lower().startswith("<!doctype html>")
    assert all(case in report for case, _ in cases)

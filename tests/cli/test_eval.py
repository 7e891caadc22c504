"""`agentsdk eval`: runs suites, writes JSON and a report, exits 1 on a regression."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agentsdk.cli import main
from agentsdk.cli.eval import run_command

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look something up.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string", "maxLength": 8}},
                "required": ["query"],
            },
        },
    }
]


def _suite(root: Path) -> Path:
    folder = root / "turns"
    folder.mkdir(parents=True)
    (folder / "suite.json").write_text(json.dumps({"target": "model", "ci_limit": 1}))
    (folder / "tools.json").write_text(json.dumps(TOOLS))
    cases = [
        {"id": f"c{i}", "text": f"question {i}", "expected": {"max_seconds": 120}} for i in range(3)
    ]
    (folder / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases))
    return folder


def test_a_suite_runs_end_to_end_with_json_report_and_baseline(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    _suite(tmp_path / "evals")
    out = io.StringIO()
    results, report = tmp_path / "now.json", tmp_path / "report.html"
    code = run_command(
        ["turns"],
        model=f"local:{tiny_checkpoint}",
        json_out=results,
        report=report,
        root=tmp_path / "evals",
        out=out,
    )
    assert code == 0, out.getvalue()
    assert "turns" in out.getvalue() and "3/3 passed" in out.getvalue()
    data = json.loads(results.read_text())
    [run] = data["runs"]
    assert run["summary"]["cases"] == 3 and run["summary"]["errors"] == 0
    assert report.read_text().startswith("<!doctype html>")

    worse = tmp_path / "worse.json"
    fails = json.loads(results.read_text())
    for result in fails["runs"][0]["results"]:
        result["scores"] = [{"name": "max_seconds", "value": 0.0, "passed": False, "reason": "x"}]
    worse.write_text(json.dumps(fails))
    out = io.StringIO()
    assert (
        run_command(
            ["turns"],
            model=f"local:{tiny_checkpoint}",
            baseline=worse,
            root=tmp_path / "evals",
            out=out,
        )
        == 0
    )
    assert "vs baseline: 0.0% -> 100.0%" in out.getvalue() and "now passing: c0" in out.getvalue()

    out = io.StringIO()  # against itself, slower than a 0-second limit: a regression
    (tmp_path / "evals" / "turns" / "cases.jsonl").write_text(
        "".join(
            json.dumps({"id": f"c{i}", "text": "q", "expected": {"max_seconds": 0}}) + "\n"
            for i in range(3)
        )
    )
    code = run_command(
        ["turns"],
        model=f"local:{tiny_checkpoint}",
        baseline=results,
        root=tmp_path / "evals",
        out=out,
        ci=True,
    )
    assert code == 1 and "regression beyond 2% in: turns" in out.getvalue()
    assert "1/1 passed" not in out.getvalue()  # --ci ran the suite's subset of 1 case


def test_the_cli_names_unknown_suites(tmp_path: Path, capsys: object) -> None:
    assert main(["eval", "nothing-here", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "no eval suite 'nothing-here'" in err


@pytest.mark.stock
def test_every_committed_suite_runs_its_ci_subset_on_the_stock_kit(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "evals"
    names = sorted(p.parent.name for p in root.glob("*/suite.json"))
    out = io.StringIO()
    results, report = tmp_path / "ci.json", tmp_path / "ci.html"
    code = run_command(names, ci=True, json_out=results, report=report, root=root, out=out)
    assert code == 0, out.getvalue()
    runs = {run["suite"]: run for run in json.loads(results.read_text())["runs"]}
    assert sorted(runs) == names
    for name, run in runs.items():
        summary = run["summary"]
        assert summary["errors"] == 0, (name, [r["error"] for r in run["results"]])
        assert 1 <= summary["cases"] <= 8
    assert report.stat().st_size > 10_000

"""`agentsdk eval`: runs suites, writes JSON and a report, exits 1 on a regression;
with `--adapter`, runs each agent and model suite on the base model and with the
adapter, and compares the two."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from agentsdk.cli import main
from agentsdk.cli.eval import run_command
from agentsdk.evals import Case, Outcome, Suite

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


def _suite(root: Path, name: str = "turns", target: str = "model") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "suite.json").write_text(json.dumps({"target": target, "ci_limit": 1}))
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


def test_an_adapter_runs_against_its_base_side_by_side(
    tmp_path: Path, tiny_checkpoint: Path, adapter: Path
) -> None:
    root = tmp_path / "evals"
    _suite(root)
    out = io.StringIO()
    results, report = tmp_path / "adapter.json", tmp_path / "adapter.html"
    model = f"local:{tiny_checkpoint}"
    options: dict[str, Any] = {"model": model, "root": root, "adapter": adapter}
    code = run_command(
        ["turns"], json_out=results, report=report, adapter_scope="all", out=out, **options
    )
    text = out.getvalue()
    assert code == 0, text
    base, adapted = tiny_checkpoint.name, f"{tiny_checkpoint.name}+paris"
    everywhere = f"{adapted} (adapter_scope all)"  # the label says a scope but the default
    lines = text.splitlines()
    assert lines[0].startswith("turns        3/3 passed") and lines[0].endswith(f"model {base}")
    assert lines[1].startswith("turns        3/3 passed")
    assert lines[1].endswith(f"model {everywhere}")
    assert lines[2].startswith("turns        adapter vs base: 100.0% -> 100.0% (+0.0%)")
    assert "95% CI of the difference -56.1% to +56.1%" in lines[2]  # 3 cases tell little

    data = json.loads(results.read_text())
    assert [run["model"] for run in data["runs"]] == [base, everywhere]
    assert all(run["summary"]["errors"] == 0 for run in data["runs"])
    [comparison] = data["comparisons"]
    assert comparison["kind"] == "adapter" and comparison["suite"] == "turns"
    assert (comparison["model"], comparison["baseline_model"]) == (everywhere, base)
    assert comparison["delta"] == 0.0 and comparison["ci95"] == [-0.5615, 0.5615]
    assert data["adapter"] == {"path": str(adapter.resolve()), "scope": "all"}
    page = report.read_text()
    assert f"turns ({base})" in page and f"turns ({everywhere})" in page
    assert "Adapter against base" in page and "Against the baseline" not in page

    out = io.StringIO()  # with a baseline too: it is compared with the base run
    code = run_command(["turns"], baseline=results, json_out=results, out=out, **options)
    assert code == 0, out.getvalue()
    comparisons = json.loads(results.read_text())["comparisons"]
    assert [(c["kind"], c["model"], c["baseline_model"]) for c in comparisons] == [
        ("baseline", base, base),
        ("adapter", adapted, base),
    ]
    assert "vs baseline: 100.0% -> 100.0%" in out.getvalue()


def _fake_targets(
    monkeypatch: pytest.MonkeyPatch, adapted_passes: bool
) -> list[tuple[str, dict[str, Any]]]:
    """Suites whose targets answer without a model: the base passes every case, the
    adapted one only when `adapted_passes`; the builds are recorded."""
    built: list[tuple[str, dict[str, Any]]] = []

    def build_target(suite: Suite, model: str | None = None, **options: Any) -> Any:
        built.append((suite.name, options))
        passes = options.get("adapter") is None or adapted_passes

        def target(case: Case, parts: list[object]) -> Outcome:
            return Outcome(text="", seconds=1.0 if passes else 500.0)

        return target, ("base+adapter" if options.get("adapter") else "base")

    monkeypatch.setattr(Suite, "build_target", build_target)
    return built


def test_an_adapter_worse_than_its_base_fails_the_command(
    tmp_path: Path, adapter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _suite(tmp_path)
    built = _fake_targets(monkeypatch, adapted_passes=False)
    out = io.StringIO()
    code = run_command(["turns"], root=tmp_path, adapter=adapter, out=out)
    assert code == 1, out.getvalue()
    assert built == [("turns", {}), ("turns", {"adapter": adapter, "adapter_scope": "trained"})]
    lines = out.getvalue().splitlines()
    assert "adapter vs base: 100.0% -> 0.0% (-100.0%)" in lines[2]
    assert "now failing: c0, c1, c2" in lines[2]
    assert "the adapter is worse than the base beyond the 2% tolerance" in lines[2]
    assert lines[-1] == "the adapter passes fewer cases than the base beyond 2% in: turns"
    out = io.StringIO()  # a tolerance that allows it
    assert run_command(["turns"], root=tmp_path, adapter=adapter, tolerance=1.0, out=out) == 0


def test_an_adapter_does_not_apply_to_an_encoder_suite(
    tmp_path: Path, adapter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _suite(tmp_path)
    _suite(tmp_path, "asr", target="speech")
    built = _fake_targets(monkeypatch, adapted_passes=True)
    out = io.StringIO()
    results = tmp_path / "out.json"
    code = run_command(["asr", "turns"], root=tmp_path, adapter=adapter, json_out=results, out=out)
    assert code == 0, out.getvalue()
    assert [name for name, _ in built] == ["asr", "turns", "turns"]  # the speech suite once
    text = out.getvalue()
    assert (
        "asr          adapter: does not apply (a speech suite runs an encoder, not the LLM)" in text
    )
    data = json.loads(results.read_text())
    assert [(r["suite"], r["model"]) for r in data["runs"]] == [
        ("asr", "base"),
        ("turns", "base"),
        ("turns", "base+adapter"),
    ]
    assert [c["suite"] for c in data["comparisons"]] == ["turns"]


def test_the_cli_passes_the_adapter_options_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agentsdk.cli.eval

    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        agentsdk.cli.eval, "run_command", lambda suites, **options: seen.update(options) or 0
    )
    assert main(["eval", "s", "--adapter", "ad", "--adapter-scope", "all"]) == 0
    assert seen["adapter"] == Path("ad") and seen["adapter_scope"] == "all"
    assert main(["eval", "s"]) == 0
    assert seen["adapter"] is None and seen["adapter_scope"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--adapter-scope", "all"], "--adapter-scope applies to an adapter: give --adapter too"),
        (
            ["--model", "openai:gpt-4o-mini@http://127.0.0.1:9", "--adapter", "{adapter}"],
            "--adapter applies to a local model",
        ),
        (["--adapter", "{tmp}/nowhere"], "no adapter at"),
        (["--adapter", "{tmp}"], "is not an agentsdk adapter"),
        (["--model", "local:{other}", "--adapter", "{adapter}"], "trained on another base model"),
    ],
)
def test_adapter_options_that_cannot_run_exit_2(
    tmp_path: Path,
    adapter: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    from tests.tiny_models import build_tiny_chat_checkpoint

    _suite(tmp_path / "evals")
    other = tmp_path / "other"
    if "{other}" in " ".join(args):
        build_tiny_chat_checkpoint(other, eos_first=True)
    values = {"adapter": str(adapter), "tmp": str(tmp_path), "other": str(other)}
    argv = ["eval", "turns", "--root", str(tmp_path / "evals")]
    argv += [arg.format(**values) for arg in args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert "passed" not in captured.out  # refused before any case ran


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

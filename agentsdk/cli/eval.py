"""`agentsdk eval SUITE... [--model NAME] [--report out.html] [--json out.json]
[--baseline FILE] [--tolerance 0.02] [--limit N] [--ci] [--concurrency N]`.

Runs each suite, prints a table (pass rate, errors, median seconds, tokens), writes the
results as JSON and an HTML report, and compares with a baseline (a JSON file written
before). Exit status: 0, or 1 when a suite regressed beyond the tolerance, or 2 when the
command could not run (unknown suite, bad option).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from agentsdk.errors import AgentSDKError
from agentsdk.evals.runner import Comparison, EvalRun, compare, evaluate, load_runs
from agentsdk.evals.suites import find_suite

__all__ = ["run_command"]


def run_command(
    suites: Sequence[str],
    *,
    model: str | None = None,
    report: Path | None = None,
    json_out: Path | None = None,
    baseline: Path | None = None,
    tolerance: float = 0.02,
    limit: int | None = None,
    ci: bool = False,
    concurrency: int = 1,
    root: str | Path = "evals",
    out: TextIO = sys.stdout,
) -> int:
    try:
        found = [find_suite(name, root=root) for name in suites]
        before = {r.suite: r for r in load_runs(baseline)} if baseline else {}
    except AgentSDKError as exc:
        print(f"agentsdk eval: {exc}", file=sys.stderr)
        return 2
    runs: list[EvalRun] = []
    for suite in found:
        dataset = suite.dataset().limit(limit or (suite.ci_limit if ci else None))
        try:
            target, label = suite.build_target(model)
        except AgentSDKError as exc:
            print(f"agentsdk eval: suite {suite.name}: {exc}", file=sys.stderr)
            return 2
        run = asyncio.run(
            evaluate(dataset, target, model=label, concurrency=concurrency, progress=out.isatty())
        )
        runs.append(run)
        print(_line(run), file=out, flush=True)
    comparisons = [compare(run, before[run.suite]) for run in runs if run.suite in before]
    for comparison in comparisons:
        print(_change(comparison), file=out)
    if json_out is not None:
        data = {
            "runs": [run.to_dict() for run in runs],
            "comparisons": [c.to_dict() for c in comparisons],
        }
        json_out.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    if report is not None:
        from agentsdk.evals.report import write_report

        write_report(report, runs, comparisons=comparisons)
        print(f"report: {report}", file=out)
    regressed = [c.suite for c in comparisons if c.regressed(tolerance)]
    if regressed:
        print(f"regression beyond {tolerance:.0%} in: {', '.join(regressed)}", file=out)
        return 1
    return 0


def _line(run: EvalRun) -> str:
    summary = run.summary()
    errors = f", {summary['errors']} errors" if summary["errors"] else ""
    return (
        f"{run.suite:<12} {summary['passed']}/{summary['scored']} passed "
        f"({summary['pass_rate']:.1%}){errors}; median {summary['median_seconds']} s per case; "
        f"{summary['input_tokens']} + {summary['output_tokens']} tokens; model {run.model}"
    )


def _change(comparison: Comparison) -> str:
    sign = "+" if comparison.delta >= 0 else ""
    parts = [
        f"{comparison.suite:<12} vs baseline: {comparison.baseline:.1%} -> "
        f"{comparison.pass_rate:.1%} ({sign}{comparison.delta:.1%})"
    ]
    if comparison.broken:
        parts.append(f"now failing: {', '.join(comparison.broken)}")
    if comparison.fixed:
        parts.append(f"now passing: {', '.join(comparison.fixed)}")
    return "; ".join(parts)

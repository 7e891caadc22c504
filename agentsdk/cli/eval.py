"""`agentsdk eval SUITE... [--model NAME] [--report out.html] [--json out.json]
[--baseline FILE] [--tolerance 0.02] [--limit N] [--ci] [--concurrency N]
[--adapter PATH [--adapter-scope trained|all]]`.

Runs each suite, prints a table (pass rate, errors, median seconds, tokens), writes the
results as JSON and an HTML report, and compares with a baseline (a JSON file written
before; where it holds a suite twice, as an `--adapter` run writes it, the first run,
the base model's, is the baseline).

`--adapter PATH` (a LoRA adapter folder made by `agentsdk learn train`) runs each suite whose
target is "agent" or "model" twice: on the base model (the stock kit's LLM, or `--model`
when it names a local model, `local:PATH`), then on the same model with the adapter
(its name ends in `+<folder name>`), and compares the two: pass rates, their difference
with a 95% interval (Newcombe's interval for paired data, `agentsdk.evals.stats`), and the
cases now failing and now passing. `--adapter-scope` ("trained", the default, or "all")
says where the adapted model uses the adapter (`Kit.stock(adapter_scope=...)`). Suites
of the encoders (speech, ocr, vision) run once: the adapter does not apply to them.
The baseline of `--baseline` is compared with the base model's run.

Exit status: 0; or 1 when a suite regressed against the baseline, or its adapter run
passed fewer cases than its base run, by more than the tolerance; or 2 when the command
could not run (unknown suite, bad option, an adapter missing, incomplete or trained on
another base, an adapter with a remote model).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agentsdk.errors import AgentSDKError, ConfigurationError
from agentsdk.evals.runner import Comparison, EvalRun, compare, evaluate, load_runs
from agentsdk.evals.suites import ADAPTER_TARGETS, find_suite

if TYPE_CHECKING:
    from agentsdk.models.adapters import ScopeMode

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
    adapter: Path | None = None,
    adapter_scope: ScopeMode | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Run `suites` and report them; the exit status (see the module's docstring).

    `adapter_scope` needs `adapter` (None: "trained")."""
    try:
        scope = _check_adapter_options(model, adapter, adapter_scope)
        found = [find_suite(name, root=root) for name in suites]
        before: dict[str, EvalRun] = {}
        for earlier in load_runs(baseline) if baseline else ():
            before.setdefault(earlier.suite, earlier)  # the first: an adapter's base run
    except AgentSDKError as exc:
        print(f"agentsdk eval: {exc}", file=sys.stderr)
        return 2
    runs: list[EvalRun] = []
    bases: list[EvalRun] = []  # the first run of each suite: the one a baseline compares
    pairs: list[tuple[EvalRun, EvalRun]] = []  # (adapter run, base run)
    for suite in found:
        dataset = suite.dataset().limit(limit or (suite.ci_limit if ci else None))
        try:
            targets = [suite.build_target(model)]
            if adapter is not None and suite.target in ADAPTER_TARGETS:
                # built before any case runs: a bad adapter stops the command at once
                target, label = suite.build_target(model, adapter=adapter, adapter_scope=scope)
                if label == targets[0][1]:
                    label = f"{label}+{adapter.name}"
                if scope == "all":  # the default goes unsaid
                    label = f"{label} (adapter_scope all)"
                targets.append((target, label))
            done = []
            for target, label in targets:
                run = asyncio.run(
                    evaluate(
                        dataset, target, model=label, concurrency=concurrency, progress=out.isatty()
                    )
                )
                print(_line(run), file=out, flush=True)
                done.append(run)
        except AgentSDKError as exc:
            print(f"agentsdk eval: suite {suite.name}: {exc}", file=sys.stderr)
            return 2
        runs.extend(done)
        bases.append(done[0])
        if len(done) == 2:
            pairs.append((done[1], done[0]))
        elif adapter is not None:
            print(
                f"{suite.name:<12} adapter: does not apply (a {suite.target} suite runs an "
                "encoder, not the LLM); ran once",
                file=out,
                flush=True,
            )
    comparisons = [compare(run, before[run.suite]) for run in bases if run.suite in before]
    adapted = [compare(a, b, kind="adapter") for a, b in pairs]
    for comparison in comparisons:
        print(_change(comparison), file=out)
    for comparison in adapted:
        print(_change(comparison, tolerance), file=out)
    if json_out is not None:
        data: dict[str, Any] = {
            "runs": [run.to_dict() for run in runs],
            "comparisons": [c.to_dict() for c in [*comparisons, *adapted]],
        }
        if adapter is not None:
            data["adapter"] = {"path": str(adapter.expanduser().resolve()), "scope": scope}
        json_out.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    if report is not None:
        from agentsdk.evals.report import write_report

        write_report(report, runs, comparisons=[*comparisons, *adapted])
        print(f"report: {report}", file=out)
    code = 0
    regressed = [c.suite for c in comparisons if c.regressed(tolerance)]
    if regressed:
        print(f"regression beyond {tolerance:.0%} in: {', '.join(regressed)}", file=out)
        code = 1
    worse = [c.suite for c in adapted if c.regressed(tolerance)]
    if worse:
        print(
            f"the adapter passes fewer cases than the base beyond {tolerance:.0%} in: "
            f"{', '.join(worse)}",
            file=out,
        )
        code = 1
    return code


def _check_adapter_options(
    model: str | None, adapter: Path | None, scope: ScopeMode | None
) -> ScopeMode:
    """The adapter scope to use; ConfigurationError for options that do not go together,
    and the adapter's own errors for a folder that is not an adapter (before any run)."""
    if adapter is None:
        if scope is not None:
            raise ConfigurationError("--adapter-scope applies to an adapter: give --adapter too")
        return "trained"
    if model is not None and model != "stock" and not model.startswith("local:"):
        raise ConfigurationError(
            f"--adapter applies to a local model (the stock kit's, or --model local:PATH), "
            f"not to {model!r}"
        )
    from agentsdk.models.adapters import adapter_metadata

    adapter_metadata(adapter.expanduser().resolve())  # missing or incomplete: fail now
    return scope or "trained"


def _line(run: EvalRun) -> str:
    summary = run.summary()
    errors = f", {summary['errors']} errors" if summary["errors"] else ""
    return (
        f"{run.suite:<12} {summary['passed']}/{summary['scored']} passed "
        f"({summary['pass_rate']:.1%}){errors}; median {summary['median_seconds']} s per case; "
        f"{summary['input_tokens']} + {summary['output_tokens']} tokens; model {run.model}"
    )


def _change(comparison: Comparison, tolerance: float | None = None) -> str:
    sign = "+" if comparison.delta >= 0 else ""
    what = "adapter vs base" if comparison.kind == "adapter" else "vs baseline"
    parts = [
        f"{comparison.suite:<12} {what}: {comparison.baseline:.1%} -> "
        f"{comparison.pass_rate:.1%} ({sign}{comparison.delta:.1%})"
    ]
    if comparison.ci95 is not None:
        low, high = comparison.ci95
        parts.append(f"95% CI of the difference {low:+.1%} to {high:+.1%}")
    if comparison.broken:
        parts.append(f"now failing: {', '.join(comparison.broken)}")
    if comparison.fixed:
        parts.append(f"now passing: {', '.join(comparison.fixed)}")
    if tolerance is not None and comparison.kind == "adapter" and comparison.regressed(tolerance):
        parts.append(f"the adapter is worse than the base beyond the {tolerance:.0%} tolerance")
    return "; ".join(parts)

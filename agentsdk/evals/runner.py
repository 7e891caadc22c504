"""Run a dataset through a target and score it: `evaluate(dataset, target) -> EvalRun`.

Cases run with bounded concurrency (`concurrency`, default 1: small local models share
the CPU badly), each under a `timeout`, with a progress bar on stderr. A case whose
target raises or times out is an infrastructure error: it is counted apart from wrong
answers and left out of the score, and its error is kept. Results round-trip as JSON
(`EvalRun.to_dict` / `from_dict`); `compare(run, baseline)` finds regressions, with a 95%
interval for the change of the pass rate (paired: `agentsdk.evals.stats`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentsdk.codec import from_data
from agentsdk.errors import ConfigurationError
from agentsdk.evals.cases import OPTIONS, Case, Dataset
from agentsdk.evals.evaluators import EVALUATORS, Evaluator, Outcome, Score
from agentsdk.evals.stats import newcombe, newcombe_paired
from agentsdk.evals.targets import Target

__all__ = [
    "CaseResult",
    "Comparison",
    "ComparisonKind",
    "EvalRun",
    "compare",
    "evaluate",
    "evaluate_sync",
    "load_runs",
    "score_case",
]

FORMAT = 1

ComparisonKind = Literal["baseline", "adapter"]
"""What a `Comparison` compares: a run with its baseline, or an adapter with its base."""


@dataclass(slots=True)
class CaseResult:
    """One case: its scores, or the infrastructure error that stopped it."""

    case: Case
    scores: list[Score] = field(default_factory=list)
    outcome: Outcome | None = None
    seconds: float = 0.0
    error: str | None = None
    """A crash or a timeout (not a wrong answer)."""

    @property
    def passed(self) -> bool:
        return self.error is None and all(s.passed for s in self.scores)

    @property
    def score(self) -> float:
        return statistics.fmean(s.value for s in self.scores) if self.scores else 0.0

    def to_dict(self) -> dict[str, Any]:
        outcome = self.outcome
        return {
            "case": self.case.to_dict(),
            "passed": self.passed,
            "score": round(self.score, 4),
            "scores": [s.to_dict() for s in self.scores],
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "answer": outcome.text if outcome else "",
            "tool_calls": [c.to_dict() for c in outcome.tool_calls] if outcome else [],
            "executed": list(outcome.executed) if outcome else [],
            "paused": outcome.paused if outcome else False,
            "usage": {
                "input_tokens": outcome.usage.input_tokens if outcome else 0,
                "output_tokens": outcome.usage.output_tokens if outcome else 0,
            },
            "details": outcome.details if outcome else {},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseResult:
        """The inverse of `to_dict`, as far as it goes: the outcome keeps its answer,
        pause, tools run and details."""
        outcome = Outcome(
            text=data.get("answer", ""),
            paused=bool(data.get("paused")),
            executed=tuple(data.get("executed") or ()),
            details=dict(data.get("details") or {}),
        )
        return cls(
            case=Case.from_dict(data["case"]),
            scores=[Score.from_dict(s) for s in data.get("scores") or ()],
            outcome=outcome,
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
        )


@dataclass
class EvalRun:
    """A dataset's results under one target."""

    suite: str
    results: list[CaseResult]
    model: str = ""
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    root: str = ""
    """The dataset's folder (media paths in the cases are relative to it)."""

    @property
    def scored(self) -> list[CaseResult]:
        return [r for r in self.results if r.error is None]

    @property
    def errors(self) -> list[CaseResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def pass_rate(self) -> float:
        """Passed / scored cases (infrastructure errors left out)."""
        scored = self.scored
        return sum(r.passed for r in scored) / len(scored) if scored else 0.0

    def summary(self) -> dict[str, Any]:
        scored = self.scored
        seconds = [r.seconds for r in scored]
        usage_in = sum(r.outcome.usage.input_tokens for r in scored if r.outcome)
        usage_out = sum(r.outcome.usage.output_tokens for r in scored if r.outcome)
        checks: dict[str, list[bool]] = {}
        for result in scored:
            for score in result.scores:
                checks.setdefault(score.name, []).append(score.passed)
        return {
            "suite": self.suite,
            "model": self.model,
            "cases": len(self.results),
            "scored": len(scored),
            "passed": sum(r.passed for r in scored),
            "errors": len(self.errors),
            "pass_rate": round(self.pass_rate, 4),
            "mean_score": round(statistics.fmean(r.score for r in scored), 4) if scored else 0.0,
            "checks": {k: round(sum(v) / len(v), 4) for k, v in sorted(checks.items())},
            "median_seconds": round(statistics.median(seconds), 3) if seconds else None,
            "p90_seconds": round(_quantile(seconds, 0.9), 3) if seconds else None,
            "input_tokens": usage_in,
            "output_tokens": usage_out,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "suite": self.suite,
            "model": self.model,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "root": self.root,
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
            "summary": self.summary(),
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalRun:
        """A run from what `to_dict` wrote (the summary is worked out again)."""
        if data.get("format") != FORMAT:
            raise ConfigurationError(f"not an eval result of format {FORMAT}")
        return from_data(cls, data)


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_runs(path: str | Path) -> list[EvalRun]:
    """Eval runs from a JSON file written by `agentsdk eval --json` (one run or a list)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"cannot read eval results from {path}: {exc}") from exc
    items = data.get("runs", [data]) if isinstance(data, Mapping) else data
    return [EvalRun.from_dict(item) for item in items]


def score_case(
    case: Case, outcome: Outcome, evaluators: Mapping[str, Evaluator] | None = None
) -> list[Score]:
    """Every check the case expects, scored."""
    table = {**EVALUATORS, **(evaluators or {})}
    scores = []
    for key in case.expected:
        if key in OPTIONS:
            continue
        try:
            scores.append(table[key](case.expected, outcome))
        except Exception as exc:  # a broken check fails its case, loudly, not the whole run
            scores.append(Score(key, 0.0, False, f"the check raised {type(exc).__name__}: {exc}"))
    return scores


async def evaluate(
    dataset: Dataset,
    target: Target,
    *,
    model: str = "",
    concurrency: int = 1,
    timeout: float = 300.0,
    evaluators: Mapping[str, Evaluator] | None = None,
    progress: bool = True,
) -> EvalRun:
    """Run every case of `dataset` through `target` and score it."""
    if concurrency < 1:
        raise ConfigurationError("concurrency must be at least 1")
    known = {**EVALUATORS, **(evaluators or {})}
    unknown = dataset.checks() - set(known)
    if unknown:
        raise ConfigurationError(
            f"dataset {dataset.name!r} expects checks no evaluator reads: {sorted(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    limit = asyncio.Semaphore(concurrency)
    bar = _progress(len(dataset), dataset.name, progress)
    began = time.perf_counter()

    async def one(case: Case) -> CaseResult:
        async with limit:
            started = time.perf_counter()
            try:
                parts = case.parts(dataset.root)
                outcome = await asyncio.wait_for(_call(target, case, parts), timeout)
            except TimeoutError:
                result = CaseResult(case, seconds=timeout, error=f"timed out after {timeout:g} s")
            except Exception as exc:  # an infrastructure error, kept apart from scores
                where = traceback.format_exception(exc)[-1].strip()
                result = CaseResult(case, seconds=time.perf_counter() - started, error=where)
            else:
                if not outcome.seconds:
                    outcome.seconds = time.perf_counter() - started
                result = CaseResult(
                    case, score_case(case, outcome, evaluators), outcome, outcome.seconds
                )
            if bar is not None:
                bar.update(1)
                bar.set_postfix(passed=f"{result.passed}")
            return result

    try:
        results = list(await asyncio.gather(*(one(case) for case in dataset)))
    finally:
        if bar is not None:
            bar.close()
    return EvalRun(
        dataset.name,
        results,
        model=model,
        seconds=time.perf_counter() - began,
        root=str(dataset.root),
    )


def evaluate_sync(dataset: Dataset, target: Target, **options: Any) -> EvalRun:
    """`evaluate` for code without an event loop."""
    return asyncio.run(evaluate(dataset, target, **options))


async def _call(target: Target, case: Case, parts: list[Any]) -> Outcome:
    if inspect.iscoroutinefunction(target):
        outcome = await target(case, parts)
    else:  # a blocking target runs in a worker thread, so the timeout still holds
        outcome = await asyncio.to_thread(target, case, parts)
        if inspect.isawaitable(outcome):
            outcome = await outcome
    if not isinstance(outcome, Outcome):
        raise ConfigurationError(f"a target must return an Outcome, not {type(outcome).__name__}")
    return outcome


def _progress(total: int, name: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="case", file=sys.stderr, leave=False)


@dataclass(frozen=True, slots=True)
class Comparison:
    """A run against another: its baseline (an earlier run read from a file), or, for
    an adapter, the same suite on the base model (`kind="adapter"`)."""

    suite: str
    pass_rate: float
    baseline: float
    """The pass rate of the run compared with (the baseline, or the base model)."""
    fixed: tuple[str, ...]
    """Case ids that failed in the baseline and pass now."""
    broken: tuple[str, ...]
    """Case ids that passed in the baseline and fail now."""
    model: str = ""
    """The model of the run (`EvalRun.model`)."""
    baseline_model: str = ""
    """The model of the run compared with."""
    kind: ComparisonKind = "baseline"
    """What is compared: "baseline", the run with an earlier run; "adapter", a model with
    a LoRA adapter with the same model without it."""
    ci95: tuple[float, float] | None = None
    """A 95% interval for `delta`: over the cases both runs scored, Newcombe's interval
    for paired data (`stats.newcombe_paired`); when they share none, his interval for two
    samples (`stats.newcombe`); None when a side scored no case."""
    cases: int = 0
    """How many cases both runs scored (the rates are over these)."""

    @property
    def delta(self) -> float:
        return self.pass_rate - self.baseline

    def regressed(self, tolerance: float) -> bool:
        return self.delta < -tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "kind": self.kind,
            "model": self.model,
            "baseline_model": self.baseline_model,
            "cases": self.cases,
            "pass_rate": round(self.pass_rate, 4),
            "baseline": round(self.baseline, 4),
            "delta": round(self.delta, 4),
            "ci95": [round(b, 4) for b in self.ci95] if self.ci95 is not None else None,
            "fixed": list(self.fixed),
            "broken": list(self.broken),
        }


def compare(run: EvalRun, baseline: EvalRun, *, kind: ComparisonKind = "baseline") -> Comparison:
    """How `run` differs from `baseline` on the cases both scored (when they share none:
    each run's own pass rate), with a 95% interval for the difference (paired over the
    cases both scored).

    `kind="adapter"` says that `run` is the model of `baseline` with a LoRA adapter."""
    before = {r.case.id: r.passed for r in baseline.scored}
    now = {r.case.id: r.passed for r in run.scored}
    common = sorted(set(before) & set(now))
    fixed = tuple(i for i in common if now[i] and not before[i])
    broken = tuple(i for i in common if before[i] and not now[i])
    interval: tuple[float, float] | None = None
    if common:  # the same cases: paired
        both = sum(now[i] and before[i] for i in common)
        neither = sum(not now[i] and not before[i] for i in common)
        interval = newcombe_paired(both, len(fixed), len(broken), neither)
        rate_now = sum(now[i] for i in common) / len(common)
        rate_before = sum(before[i] for i in common) / len(common)
    else:  # no case in common: two samples
        rate_now = sum(now.values()) / len(now) if now else run.pass_rate
        rate_before = sum(before.values()) / len(before) if before else baseline.pass_rate
        if now and before:
            interval = newcombe(sum(now.values()), len(now), sum(before.values()), len(before))
    return Comparison(
        run.suite,
        rate_now,
        rate_before,
        fixed,
        broken,
        model=run.model,
        baseline_model=baseline.model,
        kind=kind,
        ci95=interval,
        cases=len(common),
    )

"""Running datasets: scores, errors kept apart, concurrency, JSON, baselines."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from agentsdk import ConfigurationError
from agentsdk.evals import (
    Case,
    Dataset,
    EvalRun,
    Outcome,
    compare,
    evaluate,
    evaluate_sync,
    load_runs,
)
from agentsdk.evals.stats import newcombe, newcombe_paired


def _dataset() -> Dataset:
    return Dataset(
        "arith",
        [
            Case("two", "1+1", expected={"number": 2}),
            Case("three", "1+2", expected={"number": 3, "max_seconds": 5}),
            Case("crash", "boom", expected={"number": 0}),
            Case("slow", "sleep", expected={"number": 0}),
        ],
    )


def _target(case: Case, parts: list[object]) -> Outcome:
    if case.text == "boom":
        raise RuntimeError("the server fell over")
    if case.text == "sleep":
        time.sleep(2)
    answers = {"1+1": "It is 2.", "1+2": "It is 4."}
    return Outcome(text=answers.get(case.text, ""))


def test_scores_and_infrastructure_errors_are_kept_apart() -> None:
    run = evaluate_sync(_dataset(), _target, timeout=0.5, progress=False, model="fake")
    by_id = {r.case.id: r for r in run.results}
    assert by_id["two"].passed and by_id["two"].score == 1.0
    assert not by_id["three"].passed and by_id["three"].score == 0.5  # right speed, wrong sum
    assert by_id["crash"].error == "RuntimeError: the server fell over"
    assert by_id["slow"].error == "timed out after 0.5 s"
    summary = run.summary()
    assert (summary["cases"], summary["scored"], summary["passed"], summary["errors"]) == (
        4,
        2,
        1,
        2,
    )
    assert summary["pass_rate"] == 0.5 and summary["checks"] == {"max_seconds": 1.0, "number": 0.5}


def test_results_round_trip_as_json(tmp_path: Path) -> None:
    run = evaluate_sync(_dataset().limit(3), _target, progress=False)
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"runs": [run.to_dict()]}))
    [back] = load_runs(path)
    assert back.suite == "arith" and back.summary()["passed"] == run.summary()["passed"]
    assert [r.error for r in back.results] == [r.error for r in run.results]
    assert back.results[0].outcome is not None and back.results[0].outcome.text == "It is 2."
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_runs(tmp_path / "none.json")


def test_a_baseline_comparison_names_what_broke_and_what_got_fixed() -> None:
    dataset = _dataset().limit(2)
    before = evaluate_sync(dataset, _target, progress=False)
    after = evaluate_sync(
        dataset,
        lambda case, parts: Outcome(text="3" if case.id == "three" else "5"),
        progress=False,
    )
    comparison = compare(after, before)
    assert comparison.broken == ("two",) and comparison.fixed == ("three",)
    assert comparison.delta == 0.0 and not comparison.regressed(0.02)
    worse = evaluate_sync(dataset, lambda case, parts: Outcome(text="0"), progress=False)
    assert compare(worse, before).regressed(0.02)


def test_concurrency_is_bounded() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def target(case: Case, parts: list[object]) -> Outcome:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return Outcome(text="1")

    cases = [Case(f"c{i}", expected={"number": 1}) for i in range(8)]
    run = evaluate_sync(Dataset("c", cases), target, concurrency=3, progress=False)
    assert run.pass_rate == 1.0 and peak[0] == 3


def test_async_targets_and_bad_returns() -> None:
    async def target(case: Case, parts: list[object]) -> Outcome:
        await asyncio.sleep(0)
        return Outcome(text="2")

    assert evaluate_sync(_dataset().limit(1), target, progress=False).pass_rate == 1.0
    run = evaluate_sync(_dataset().limit(1), lambda c, p: "2", progress=False)  # type: ignore[arg-type,return-value]
    assert run.results[0].error is not None and "must return an Outcome" in run.results[0].error
    with pytest.raises(ConfigurationError, match="concurrency"):
        evaluate_sync(_dataset(), _target, concurrency=0)


def test_custom_evaluators_plug_in() -> None:
    from agentsdk.evals import Score

    def polite(expected: object, outcome: Outcome) -> Score:
        ok = "please" in outcome.text
        return Score("polite", float(ok), ok, "said please" if ok else "rude")

    dataset = Dataset("p", [Case("a", expected={"number": 2})])
    run = asyncio.run(
        evaluate(
            dataset,
            lambda c, p: Outcome(text="2, please"),
            progress=False,
            evaluators={"number": polite},
        )
    )
    assert run.results[0].scores[0].name == "polite" and run.results[0].passed
    assert isinstance(run, EvalRun)
    own = Dataset("p", [Case("a", expected={"polite": True})])
    assert (
        evaluate_sync(
            own, lambda c, p: Outcome(text="please"), progress=False, evaluators={"polite": polite}
        ).pass_rate
        == 1.0
    )
    typo = Dataset("p", [Case("a", expected={"numbr": 2})])
    with pytest.raises(ConfigurationError, match=r"no evaluator reads: \['numbr'\]"):
        evaluate_sync(typo, lambda c, p: Outcome(text="2"), progress=False)


def test_a_comparison_names_its_models_and_kind_and_has_an_interval() -> None:
    dataset = Dataset("q", [Case(f"c{i}", expected={"number": 1}) for i in range(10)])
    passing = {f"c{i}" for i in range(7)}
    base = evaluate_sync(
        dataset,
        lambda case, parts: Outcome(text="1" if case.id in passing else "0"),
        progress=False,
        model="tiny",
    )
    adapted = evaluate_sync(
        dataset,
        lambda case, parts: Outcome(text="1" if case.id in {"c0", "c1", "c8"} else "0"),
        progress=False,
        model="tiny+paris",
    )
    comparison = compare(adapted, base, kind="adapter")
    assert (comparison.kind, comparison.model, comparison.baseline_model) == (
        "adapter",
        "tiny+paris",
        "tiny",
    )
    assert (comparison.pass_rate, comparison.baseline, comparison.cases) == (0.3, 0.7, 10)
    assert comparison.broken == ("c2", "c3", "c4", "c5", "c6") and comparison.fixed == ("c8",)
    # the same 10 cases: paired (both 2, adapter only 1, base only 5, neither 2)
    assert comparison.ci95 == newcombe_paired(2, 1, 5, 2)
    low, high = comparison.ci95
    assert low < -0.4 < high and high > 0  # 10 cases: -40 points may still be chance
    assert comparison.regressed(0.02)
    data = comparison.to_dict()
    assert data["kind"] == "adapter" and data["model"] == "tiny+paris"
    assert data["baseline_model"] == "tiny" and data["delta"] == -0.4
    assert data["ci95"] == [round(low, 4), round(high, 4)] and data["cases"] == 10
    assert json.loads(json.dumps(data)) == data
    assert compare(base, base).kind == "baseline"


def test_a_comparison_made_the_old_way_still_works() -> None:
    from agentsdk.evals import Comparison

    old = Comparison("s", 0.5, 0.75, ("a",), ("b",))
    assert old.kind == "baseline" and old.ci95 is None and old.model == ""
    assert old.to_dict()["ci95"] is None and old.to_dict()["delta"] == -0.25
    errors_only = EvalRun("s", [])
    assert compare(errors_only, errors_only).ci95 is None  # nothing scored: no interval


def test_runs_of_other_cases_are_compared_as_two_samples() -> None:
    def run(ids: range, passing: set[str]) -> EvalRun:
        dataset = Dataset("q", [Case(f"c{i}", expected={"number": 1}) for i in ids])
        return evaluate_sync(
            dataset,
            lambda case, parts: Outcome(text="1" if case.id in passing else "0"),
            progress=False,
        )

    now, before = run(range(4), {"c0", "c1", "c2"}), run(range(4, 10), {"c4"})
    comparison = compare(now, before)
    assert comparison.cases == 0 and (comparison.pass_rate, comparison.baseline) == (0.75, 1 / 6)
    assert comparison.ci95 == newcombe(3, 4, 1, 6)

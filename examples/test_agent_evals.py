"""Eval cases as pytest tests: one test per case, failing with the checks' reasons.

    pytest examples/test_agent_evals.py                     # every case of the suite
    AGENTSDK_EVAL_LIMIT=3 pytest examples/test_agent_evals.py

Copy this file next to your own tests and point SUITE at your dataset (a folder with
suite.json and cases.jsonl, or build a Dataset and a target in Python). Here: the
tool_calls suite on the stock model, one model turn per case.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentsdk.evals import Case, evaluate_sync, find_suite

SUITE = find_suite("tool_calls", root=Path(__file__).resolve().parent.parent / "evals")
LIMIT = int(os.environ.get("AGENTSDK_EVAL_LIMIT", "0")) or None
DATASET = SUITE.dataset().limit(LIMIT)


@pytest.fixture(scope="module")
def target():  # type: ignore[no-untyped-def]
    built, _ = SUITE.build_target()  # loads the model once for the module
    return built


@pytest.mark.parametrize("case", DATASET.cases, ids=lambda case: case.id)
def test_case(case: Case, target) -> None:  # type: ignore[no-untyped-def]
    run = evaluate_sync(DATASET.select([case.id]), target, progress=False)
    [result] = run.results
    assert result.error is None, f"infrastructure error: {result.error}"
    assert result.passed, "; ".join(f"{s.name}: {s.reason}" for s in result.scores)

"""Evals: datasets of cases, checks that score answers end to end, runs, reports.

>>> from agentsdk.evals import Dataset, agent_target, evaluate_sync
>>> dataset = Dataset.from_jsonl("evals/multimodal/cases.jsonl")
>>> run = evaluate_sync(dataset, agent_target(lambda: Agent(kit=Kit.stock(), tools=[...])))
>>> run.summary()["pass_rate"], run.to_dict()

From the command line: `agentsdk eval multimodal tool_calls --report out.html`.
"""

from agentsdk.evals.cases import Case, Dataset
from agentsdk.evals.evaluators import (
    EVALUATORS,
    Evaluator,
    Outcome,
    Score,
    arguments_match,
    cer,
    normalise,
    numbers_in,
    wer,
)
from agentsdk.evals.report import render_report, write_report
from agentsdk.evals.runner import (
    CaseResult,
    Comparison,
    EvalRun,
    compare,
    evaluate,
    evaluate_sync,
    load_runs,
    score_case,
)
from agentsdk.evals.suites import Suite, find_suite, side_effect_tool
from agentsdk.evals.targets import Target, agent_target, encoder_target, model_target

__all__ = [
    "EVALUATORS",
    "Case",
    "CaseResult",
    "Comparison",
    "Dataset",
    "EvalRun",
    "Evaluator",
    "Outcome",
    "Score",
    "Suite",
    "Target",
    "agent_target",
    "arguments_match",
    "cer",
    "compare",
    "encoder_target",
    "evaluate",
    "evaluate_sync",
    "find_suite",
    "load_runs",
    "model_target",
    "normalise",
    "numbers_in",
    "render_report",
    "score_case",
    "side_effect_tool",
    "wer",
    "write_report",
]

"""05: evaluate your own suite. Your cases (questions, media, what the answer must be)
go in a JSONL file; each runs through a fresh stock agent with your own tools, is scored
by the stock checks (tool_call, contains, number) and one check of your own, and the
run is summed up in a score. Give paths to keep the report: an HTML page (with what was
read, the tool calls and why each case passed or failed) and the results as JSON.

Run it (after `python3 tools/bootstrap.py demo`):

    .venv/bin/python examples/05_evaluate_your_own_suite.py [REPORT.html [RESULTS.json]]

It prints one line per case and the score, e.g.

    suite my_cases: 4 cases in /tmp/my-suite-gnoaf36v/my_cases.jsonl
    case weather-oslo: passed (tool_call, contains, concise) answer: snow, -3 C
    case order-b7: passed (tool_call, contains, concise) answer: delivered
    case receipt-total: passed (number, concise) answer: 25.45
    case no-tool: passed (tool_call, contains, concise) answer: Paris
    score: 4/4 passed (100%), mean 1.00, median 4.2 s per case
    report: report.html
    results: results.json

A case that fails says which check failed and why, e.g.
`case order-b7: failed (tool_call: called order_status with {'order_id': 'A-1042'}, ...)`.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentsdk import Agent, GenerationSettings, Kit, Limits, tool
from agentsdk.cli.demo import default_assets
from agentsdk.evals import Dataset, Outcome, Score, agent_target, evaluate_sync, write_report
from agentsdk.toolbox import calculator

FORECASTS = {"oslo": "snow, -3 C", "paris": "sunny, 24 C"}
ORDERS = {"A-1042": "shipped", "B-7": "delivered"}


@tool
def get_weather(city: str) -> str:
    """Get today's weather forecast for a city.

    Args:
        city: The name of the city.
    """
    return FORECASTS.get(city.strip().lower(), f"no forecast for {city}")


@tool
def order_status(order_id: str) -> str:
    """Look up the delivery status of an order by its order number.

    Args:
        order_id: The order number.
    """
    return ORDERS.get(order_id.strip().upper(), f"no order {order_id}")


# One case per line; media paths are relative to the JSONL file's folder. Each key of
# "expected" is a check: all of a case's checks must pass.
CASES = [
    {
        "id": "weather-oslo",
        "text": "Will it snow in Oslo today?",
        "expected": {
            "tool_call": {"name": "get_weather", "arguments": {"city": "Oslo"}},
            "contains": "snow",
            "concise": 12,
        },
    },
    {
        "id": "order-b7",
        "text": "Has order B-7 arrived yet?",
        "expected": {
            "tool_call": {"name": "order_status", "arguments": {"order_id": "B-7"}},
            "contains": "delivered",
            "concise": 12,
        },
    },
    {
        "id": "receipt-total",
        "text": "What is the total on this receipt?",
        "images": ["receipt.png"],
        "expected": {"number": 25.45, "tolerance": 0.005, "concise": 12},
    },
    {
        "id": "no-tool",
        "text": "What is the capital of France?",
        "expected": {"tool_call": None, "contains": "Paris", "concise": 12},
    },
]


def concise(expected: Mapping[str, Any], outcome: Outcome) -> Score:
    """A check of your own: the answer has at most `expected["concise"]` words."""
    limit = int(expected["concise"])
    words = len(outcome.text.split())
    passed = 0 < words <= limit
    return Score("concise", float(passed), passed, f"{words} words (at most {limit})")


def write_suite(folder: Path) -> Path:
    """The cases as a JSONL file, with the receipt they read beside it."""
    shutil.copy(default_assets()[0], folder / "receipt.png")
    cases = folder / "my_cases.jsonl"
    cases.write_text("".join(json.dumps(case) + "\n" for case in CASES), encoding="utf-8")
    return cases


def main(report: Path | None = None, results: Path | None = None) -> None:
    kit = Kit.stock()  # shared by the fresh agent each case gets
    for role in ("llm", "ocr"):  # loaded up front, so each case's time is its own
        kit.load(role)

    def make_agent() -> Agent:
        return Agent(
            kit=kit,
            tools=[calculator, get_weather, order_status],
            limits=Limits(max_steps=3),
            settings=GenerationSettings(max_tokens=96),
        )

    with tempfile.TemporaryDirectory(prefix="my-suite-") as folder:
        path = write_suite(Path(folder))
        dataset = Dataset.from_jsonl(path)
        print(f"suite {dataset.name}: {len(dataset)} cases in {path}")
        run = evaluate_sync(
            dataset,
            agent_target(make_agent),
            model="stock",
            evaluators={"concise": concise},
            progress=False,
        )
        for result in run.results:
            checks = ", ".join(score.name for score in result.scores)
            answer = result.outcome.text.strip() if result.outcome else ""
            if result.error is not None:
                print(f"case {result.case.id}: error ({result.error})")
            elif result.passed:
                print(f"case {result.case.id}: passed ({checks}) answer: {answer}")
            else:
                why = "; ".join(f"{s.name}: {s.reason}" for s in result.scores if not s.passed)
                print(f"case {result.case.id}: failed ({why}) answer: {answer}")
        summary = run.summary()
        median = summary["median_seconds"] or 0.0  # None when every case was an error
        print(
            f"score: {summary['passed']}/{summary['scored']} passed ({run.pass_rate:.0%}), "
            f"mean {summary['mean_score']:.2f}, median {median:.1f} s per case"
        )
        if report is not None:  # written while the media it shows are still on disk
            write_report(report, [run])
            print(f"report: {report}")
    if results is not None:
        results.write_text(json.dumps(run.to_dict(), indent=1), encoding="utf-8")
        print(f"results: {results}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else None,
        Path(sys.argv[2]) if len(sys.argv) > 2 else None,
    )

"""Tool-call eval: run evals/tool_calls through a chat model and score its tool calls.

    python tools/eval_tool_calls.py                 # the stock LLM, every case
    python tools/eval_tool_calls.py --limit 5 --json
    python tools/eval_tool_calls.py --no-ranker        # the model alone chooses

Each case of `cases.jsonl` is a request, the tool expected (null: answer directly) and
the key arguments expected. Reported:

- valid: the reply is a tool call whose arguments validate against that tool's schema
  (with `jsonschema` when installed, else with an xgrammar grammar of the schema), or a
  plain answer that ended on its own (finish_reason "stop");
- right tool: the tool called (or none) is the expected one;
- right arguments: of the cases with the right tool (and a tool expected), those where
  every expected argument matches: numbers equal, strings contained in the value
  (case-insensitive, whitespace ignored);
- seconds per request (greedy, default settings; grammar compilation included).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "evals" / "tool_calls"


@dataclass
class CaseResult:
    id: str
    request: str
    expected_tool: str | None
    tool: str | None
    arguments: dict[str, Any] | None
    text: str
    finish_reason: str
    valid: bool
    right_tool: bool
    right_arguments: bool | None
    seconds: float
    problems: list[str] = field(default_factory=list)


def load_suite(folder: Path = SUITE) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tools, cases) of the suite in `folder`."""
    tools = json.loads((folder / "tools.json").read_text())
    lines = (folder / "cases.jsonl").read_text().splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    return tools, cases


def schema_errors(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Why `instance` does not validate against `schema` (empty when it does)."""
    try:
        import jsonschema  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return _xgrammar_errors(instance, schema)
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(instance)]


def validator_name() -> str:
    try:
        import jsonschema
    except ImportError:
        return "xgrammar grammar of the schema (jsonschema not installed)"
    from importlib.metadata import version

    return f"jsonschema {version('jsonschema')}" if jsonschema else "jsonschema"


def _xgrammar_errors(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    import xgrammar

    grammar = xgrammar.Grammar.from_json_schema(json.dumps(schema), any_whitespace=True)
    text = json.dumps(instance, ensure_ascii=False)
    if xgrammar.testing._is_grammar_accept_string(grammar, text):
        return []
    return [f"{text} is not accepted by the schema's grammar"]


def _squash(value: str) -> str:
    return "".join(value.lower().split())


def argument_matches(expected: Any, actual: Any) -> bool:
    """Numbers equal; strings contained (case-insensitive, whitespace ignored)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected == actual)
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and abs(float(expected) - float(actual)) < 1e-9
    if isinstance(expected, str):
        return isinstance(actual, str) and _squash(expected) in _squash(actual)
    return bool(expected == actual)


def score_case(
    case: Mapping[str, Any],
    tools: Sequence[Mapping[str, Any]],
    response: Any,
    seconds: float,
) -> CaseResult:
    """Score one reply (`response`: a ModelResponse) against its case."""
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    problems: list[str] = []
    call = response.tool_calls[0] if response.tool_calls else None
    if len(response.tool_calls) > 1:
        problems.append(f"{len(response.tool_calls)} tool calls")
    if call is not None:
        arguments = dict(call.arguments)
        if call.name not in schemas:
            problems.append(f"unknown tool {call.name!r}")
        else:
            problems += schema_errors(arguments, schemas[call.name])
        valid = not problems and response.finish_reason == "tool_calls"
    else:
        arguments = None
        valid = response.finish_reason == "stop"
        if not valid:
            problems.append(f"no parsed reply (finish_reason {response.finish_reason})")
    expected_tool = case["tool"]
    right_tool = (call.name if call else None) == expected_tool
    right_arguments: bool | None = None
    if right_tool and expected_tool is not None:
        expected = case.get("arguments") or {}
        got = arguments or {}
        right_arguments = all(k in got and argument_matches(v, got[k]) for k, v in expected.items())
    return CaseResult(
        id=case["id"],
        request=case["request"],
        expected_tool=expected_tool,
        tool=call.name if call else None,
        arguments=arguments,
        text=response.text,
        finish_reason=response.finish_reason,
        valid=valid,
        right_tool=right_tool,
        right_arguments=right_arguments,
        seconds=seconds,
        problems=problems,
    )


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Percentages and timings over `results`."""
    n = len(results)
    with_args = [r for r in results if r.right_arguments is not None]
    seconds = [r.seconds for r in results]

    def pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    return {
        "cases": n,
        "valid_pct": pct(sum(r.valid for r in results), n),
        "right_tool_pct": pct(sum(r.right_tool for r in results), n),
        "right_arguments_pct": pct(sum(bool(r.right_arguments) for r in with_args), len(with_args)),
        "right_arguments_of": len(with_args),
        "answer_cases_right_pct": pct(
            sum(r.right_tool for r in results if r.expected_tool is None),
            sum(r.expected_tool is None for r in results),
        ),
        "mean_seconds": round(statistics.fmean(seconds), 3) if seconds else None,
        "median_seconds": round(statistics.median(seconds), 3) if seconds else None,
    }


def run_suite(
    model: Any,
    *,
    limit: int | None = None,
    folder: Path = SUITE,
    settings: Any = None,
    progress: Any = None,
) -> tuple[dict[str, Any], list[CaseResult]]:
    """Run the suite through `model` (a ChatModel); (summary, per-case results)."""
    from agentsdk import Message

    tools, cases = load_suite(folder)
    results: list[CaseResult] = []
    for case in cases[:limit]:
        started = time.perf_counter()
        response = model.generate([Message.user(case["request"])], tools=tools, settings=settings)
        result = score_case(case, tools, response, time.perf_counter() - started)
        results.append(result)
        if progress is not None:
            progress(result)
    return summarise(results), results


def calibrate_threshold(ranker: Any, folder: Path = SUITE) -> dict[str, Any]:
    """Choose the relevance threshold of `ranker` on the calibration set (its own tools
    and requests, not the eval suite's): the midpoint of the widest interval that best
    separates tool requests from direct-answer ones (balanced accuracy)."""
    from agentsdk.models.constrained import tool_specs

    specs = tool_specs(json.loads((folder / "calibration_tools.json").read_text()))
    lines = (folder / "calibration.jsonl").read_text().splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    scored: list[tuple[float, bool, bool]] = []
    for case in cases:
        scores = [float(x) for x in ranker.scores(case["request"], specs)]
        top = max(range(len(specs)), key=scores.__getitem__)
        scored.append((scores[top], case["tool"] is not None, specs[top].name == case["tool"]))
    values = sorted({s for s, _, _ in scored})
    cuts = [values[0] - 0.01] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    cuts.append(values[-1] + 0.01)
    tools_n = sum(t for _, t, _ in scored)
    answers_n = len(scored) - tools_n

    def balanced(cut: float) -> float:
        tool_ok = sum(t and s >= cut for s, t, _ in scored) / max(tools_n, 1)
        answer_ok = sum(not t and s < cut for s, t, _ in scored) / max(answers_n, 1)
        return (tool_ok + answer_ok) / 2

    best_score = max(balanced(c) for c in cuts)
    best = [c for c in cuts if balanced(c) == best_score]
    # the widest run of consecutive best cuts: take its middle
    runs: list[list[float]] = []
    for index, cut in enumerate(cuts):
        if balanced(cut) != best_score:
            continue
        if runs and runs[-1][-1] == cuts[index - 1]:
            runs[-1].append(cut)
        else:
            runs.append([cut])
    run = max(runs, key=lambda r: r[-1] - r[0])
    threshold = round((run[0] + run[-1]) / 2, 3)
    return {
        "threshold": threshold,
        "balanced_accuracy": round(best_score, 3),
        "best_cuts": [round(c, 3) for c in best],
        "top1_right_of_tool_requests": sum(r for _, t, r in scored if t) / max(tools_n, 1),
        "cases": len(scored),
    }


def _line(r: CaseResult) -> str:
    mark = ("ok " if r.valid else "BAD") + (" tool" if r.right_tool else " ----")
    mark += {True: " args", False: " ----", None: "     "}[r.right_arguments]
    got = f"{r.tool}({json.dumps(r.arguments, ensure_ascii=False)})" if r.tool else repr(r.text)
    return f"{mark} {r.seconds:5.2f}s {r.id:<10} {got[:110]}" + (
        f"  [{'; '.join(r.problems)}]" if r.problems else ""
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="run only the first N cases")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument(
        "--no-ranker",
        action="store_true",
        help="let the LLM alone choose the tool (default: rank tools with the stock "
        "MiniLM embeddings when the model has no ranker of its own)",
    )
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="only choose the stock ranker's threshold on the calibration set, and exit",
    )
    parser.add_argument("--suite", type=Path, default=SUITE, help="folder of the suite")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (1 is faster on a busy CPU)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    import torch

    from agentsdk import Kit
    from agentsdk.models.constrained import EmbeddingToolRanker

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.calibrate:
        print(json.dumps(calibrate_threshold(EmbeddingToolRanker.stock(), args.suite), indent=2))
        return 0

    started = time.perf_counter()
    llm: Any = Kit.stock().llm
    load_seconds = time.perf_counter() - started
    ranker = "none"
    if args.no_ranker:
        llm.tool_ranker = None
    elif getattr(llm, "tool_ranker", None) is None:
        llm.tool_ranker = EmbeddingToolRanker.stock()
        ranker = "stock MiniLM (attached by this runner)"
    else:
        ranker = type(llm.tool_ranker).__name__
    progress = None if args.json else (lambda r: print(_line(r), flush=True))
    summary, results = run_suite(llm, limit=args.limit, folder=args.suite, progress=progress)
    summary.update(
        model=llm.name,
        ranker=ranker,
        validator=validator_name(),
        load_seconds=round(load_seconds, 2),
        torch_threads=torch.get_num_threads(),
    )
    if args.json:
        print(json.dumps({"summary": summary, "cases": [asdict(r) for r in results]}, indent=2))
    else:
        print(
            f"\n{summary['cases']} cases, {summary['model']} ("
            f"ranker {summary['ranker']}, {summary['torch_threads']} torch threads): "
            f"valid {summary['valid_pct']}%, right tool {summary['right_tool_pct']}%, "
            f"right arguments {summary['right_arguments_pct']}% "
            f"(of {summary['right_arguments_of']} with the right tool), "
            f"answer-directly cases right {summary['answer_cases_right_pct']}%, "
            f"{summary['mean_seconds']} s/request (median {summary['median_seconds']}); "
            f"validated with {summary['validator']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

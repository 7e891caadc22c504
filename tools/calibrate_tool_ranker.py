"""Choose the stock tool ranker's relevance threshold on its calibration set.

    python tools/calibrate_tool_ranker.py

The calibration set (evals/tool_calls/calibration.jsonl and calibration_tools.json) has
its own tools and requests, never the eval suite's; the eval itself is
`agentsdk eval tool_calls`.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "evals" / "tool_calls"


def calibrate_threshold(ranker: Any, folder: Path = SUITE) -> dict[str, Any]:
    """Choose the relevance threshold of `ranker` on the calibration set (its own tools
    and requests, not the eval suite's): the midpoint of the widest interval that best
    separates tool requests from direct-answer ones (balanced accuracy)."""
    from agentsdk.models.toolcalls import tool_specs

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


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    from agentsdk.models.toolcalls import EmbeddingToolRanker

    print(json.dumps(calibrate_threshold(EmbeddingToolRanker.stock()), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

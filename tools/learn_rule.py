"""Does learning from people's decisions work? A house rule, taught by a reviewer.

    HF_HUB_OFFLINE=1 python tools/learn_rule.py --out /tmp/learn-rule            # the full run
    HF_HUB_OFFLINE=1 python tools/learn_rule.py --quick --out /tmp/learn-rule-q  # a smoke run

The stock agent gets one tool, `refund(order_id: str, amount_cents: int)`, gated with
`approval="always"` and without call templates (the grammar writes its arguments), and
requests such as "Please refund $7.99 for order no. 5521." The shop's rule, which the
model is never told: **the order id is `ORD-` and the order's digits, the amount is in
cents** (`{"order_id": "ORD-5521", "amount_cents": 799}`). A few of the requests ask
where an order is instead; no tool fits them.

1. *Decisions.* The stock agent runs each training request in its own thread of an
   `SQLiteCheckpointStore`; a scripted reviewer approves a call that already follows the
   rule, edits one that does not (`state.edit(interruption, the rule's arguments)`),
   rejects a refund for a request that asked for none, and the run is resumed: the audit
   log holds real decisions.
2. *Learning.* `export_dataset(..., test_fraction=0)` turns them into rows and
   `train_adapter(data/train, "stock")` into a LoRA adapter.
3. *Held out.* Requests whose order numbers and amounts never occur in training, a third
   of them in phrasings training never saw: the stock agent and the same agent on
   `Kit.stock(adapter=...)` each propose a call (one model turn, up to the pause).
   Scored: the right tool (refund for a refund, no call for a question), and the rule's
   arguments exactly (both arguments equal to the rule's), each with a 95% Wilson
   interval, and the difference with Newcombe's interval.
4. *No regression elsewhere.* evals/tool_calls with the stock LLM and with the adapter,
   as it loads by default (`adapter_scope="trained"`: it writes only replies for the
   tools it learned from, here `refund`) and used for every reply (`"all"`).

Requests come from a seeded RNG, so a seed gives the same requests, decisions and (with
greedy decoding, on the same machine) the same numbers. Everything goes to --out:
runs.db (states and audit log), data/ (the export), adapter/, results.json; a Markdown
table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOOL_CALLS = ROOT / "evals" / "tool_calls"
MAX_TOKENS = 96
"""Enough for the reply (about 35 tokens): the grammar's budget guard closes the JSON
early, cutting strings short, when max_tokens leaves it less than the path out plus 16."""

# -- the requests -------------------------------------------------------------------

REFUND_SEEN = (
    "Refund {amount} on order {order}.",
    "Please refund {amount} for order {order}.",
    "The customer wants {amount} back on order {order}.",
    "Issue a refund of {amount} for order {order}.",
    "Order {order} was damaged, refund {amount}.",
    "Can you refund {amount} to the customer of order {order}?",
    "I need a refund of {amount} on order {order}.",
    "Refund order {order}: {amount}.",
    "Give the customer {amount} back for order {order}, please.",
    "Process a {amount} refund on order {order}.",
)
"""Phrasings of a refund used in training (and in part of the held-out set)."""
REFUND_NEW = (
    "A customer returned the item from order {order}; refund them {amount}.",
    "Could you send back {amount} for order {order}?",
    "Order {order} arrived late. Please refund {amount} to the buyer.",
    "Refund request: {amount}, order {order}.",
)
"""Phrasings of a refund only in the held-out set."""
STATUS_SEEN = (
    "Where is order {order}?",
    "When will order {order} arrive?",
    "What is the status of order {order}?",
)
STATUS_NEW = ("Has order {order} shipped yet?",)
"""Questions no tool answers: the right move is no call."""
ORDER_FORMS = ("{n}", "#{n}", "no. {n}", "number {n}")
STATUS_SHARE = 1 / 8
"""The share of requests that ask for no refund."""
NEW_SHARE = 1 / 3
"""The share of held-out requests in phrasings training never saw."""


@dataclass(frozen=True)
class Request:
    """One generated request and what the rule says the call is."""

    id: str
    text: str
    template: str
    seen: bool
    """Its phrasing is one of training's."""
    refund: bool
    """It asks for a refund (else: a question no tool answers)."""
    order: int
    cents: int

    def expected(self) -> dict[str, Any] | None:
        """The rule's arguments (None: no call is right)."""
        if not self.refund:
            return None
        return {"order_id": f"ORD-{self.order}", "amount_cents": self.cents}


def _amount(cents: int, rng: random.Random) -> str:
    units, rest = divmod(cents, 100)
    if rest == 0 and rng.random() < 0.5:
        return rng.choice((f"${units}", f"{units} dollars", f"{units} euros", f"€{units}"))
    return rng.choice(
        (f"{units}.{rest:02d}", f"${units}.{rest:02d}", f"€{units}.{rest:02d}",
         f"{units}.{rest:02d} EUR", f"{units}.{rest:02d} dollars")
    )  # fmt: skip


def _values(rng: random.Random, n: int) -> tuple[list[int], list[int]]:
    """`n` distinct order numbers (4-5 digits) and amounts in cents (a quarter whole)."""
    orders = rng.sample(range(1000, 100_000), n)
    amounts: set[int] = set()
    while len(amounts) < n:
        units = rng.randint(1, 400)
        amounts.add(units * 100 if rng.random() < 0.25 else units * 100 + rng.randint(1, 99))
    shuffled = sorted(amounts)
    rng.shuffle(shuffled)
    return orders, shuffled


def make_requests(n_train: int, n_test: int, seed: int) -> tuple[list[Request], list[Request]]:
    """Training and held-out requests: no order number or amount in both, and a third
    of the held-out ones in phrasings of their own."""
    rng = random.Random(seed)
    orders, amounts = _values(rng, n_train + n_test)

    def build(prefix: str, count: int, offset: int, new_share: float) -> list[Request]:
        made = []
        for i in range(count):
            refund = rng.random() >= STATUS_SHARE
            new = rng.random() < new_share
            if refund:
                template = rng.choice(REFUND_NEW if new else REFUND_SEEN)
            else:
                template = rng.choice(STATUS_NEW if new else STATUS_SEEN)
            order, cents = orders[offset + i], amounts[offset + i]
            text = template.format(
                order=rng.choice(ORDER_FORMS).format(n=order), amount=_amount(cents, rng)
            )
            text = text[0].upper() + text[1:]
            made.append(Request(f"{prefix}-{i:04d}", text, template, not new, refund, order, cents))
        return made

    return build("train", n_train, 0, 0.0), build("test", n_test, n_train, NEW_SHARE)


# -- the agent and the reviewer -----------------------------------------------------


def make_refund_tool() -> Any:
    from agentsdk import tool

    @tool(approval="always")
    def refund(order_id: str, amount_cents: int) -> str:
        """Refund money to a customer for an order.

        Args:
            order_id: The order's id.
            amount_cents: How much to refund.
        """
        return f"refunded {amount_cents} on {order_id}"

    return refund


def make_agent(kit: Any, refund: Any, store: Any = None) -> Any:
    from agentsdk import Agent
    from agentsdk.agent import Limits
    from agentsdk.models.base import GenerationSettings

    return Agent(
        kit=kit,
        tools=[refund],
        checkpointer=store,
        settings=GenerationSettings(max_tokens=MAX_TOKENS),
        limits=Limits(max_steps=3),
    )


def _proposal(result: Any) -> tuple[str | None, dict[str, Any] | None, Any]:
    """The tool the paused run wants, its arguments, and the interruption (or Nones)."""
    for interruption in result.interruptions if result.paused else ():
        if interruption.kind == "tool" and interruption.call is not None:
            return interruption.call.name, dict(interruption.call.arguments), interruption
    calls = list(result.tool_calls or ())
    if calls:  # an ungated call (there is none here, but say so if one appears)
        return calls[0].name, dict(calls[0].arguments), None
    return None, None, None


def _follows(arguments: dict[str, Any] | None, expected: dict[str, Any] | None) -> bool:
    if arguments is None or expected is None:
        return False
    return {k: arguments.get(k) for k in expected} == expected and set(arguments) == set(expected)


def collect_decisions(
    agent: Any, requests: Sequence[Request], log: Callable[[str], None]
) -> dict[str, Any]:
    """Run each request in its own thread; the scripted reviewer decides and resumes."""
    counts = {"approve": 0, "edit": 0, "reject": 0, "no_call": 0, "resumed": 0}
    began = time.perf_counter()
    for number, request in enumerate(requests, 1):
        result = agent.run(request.text, thread_id=request.id)
        name, arguments, interruption = _proposal(result)
        expected = request.expected()
        if interruption is None:
            counts["no_call"] += 1
        else:
            state = result.state
            if name != "refund" or expected is None:
                state.reject(interruption, "no refund was asked for", actor="reviewer")
                counts["reject"] += 1
            elif _follows(arguments, expected):
                state.approve(interruption, actor="reviewer")
                counts["approve"] += 1
            else:
                state.edit(interruption, expected, actor="reviewer")
                counts["edit"] += 1
            resumed = agent.resume(state)
            counts["resumed"] += 1
            while resumed.paused:  # a second call after a rejection: not what was asked
                name, _, again = _proposal(resumed)
                if again is None:
                    break
                state = resumed.state
                state.reject(again, "no refund was asked for", actor="reviewer")
                counts["reject"] += 1
                resumed = agent.resume(state)
        if number % 20 == 0 or number == len(requests):
            rate = (time.perf_counter() - began) / number
            log(f"  decisions: {number}/{len(requests)} ({rate:.2f} s per request) {counts}")
    return counts


@dataclass(frozen=True)
class Proposed:
    request: str
    text: str
    seen: bool
    refund: bool
    tool: str | None
    arguments: dict[str, Any] | None
    expected: dict[str, Any] | None
    right_tool: bool
    rule_arguments: bool
    order_id_right: bool
    amount_right: bool
    seconds: float


def propose(agent: Any, requests: Sequence[Request], log: Callable[[str], None]) -> list[Proposed]:
    """One model turn per held-out request (the run pauses at the gated call)."""
    out = []
    for number, request in enumerate(requests, 1):
        began = time.perf_counter()
        result = agent.run(request.text)
        seconds = time.perf_counter() - began
        name, arguments, _ = _proposal(result)
        expected = request.expected()
        right_tool = name == "refund" if request.refund else name is None
        args = arguments or {}
        out.append(
            Proposed(
                request=request.id,
                text=request.text,
                seen=request.seen,
                refund=request.refund,
                tool=name,
                arguments=arguments,
                expected=expected,
                right_tool=right_tool,
                rule_arguments=name == "refund" and _follows(arguments, expected),
                order_id_right=expected is not None
                and name == "refund"
                and args.get("order_id") == expected["order_id"],
                amount_right=expected is not None
                and name == "refund"
                and args.get("amount_cents") == expected["amount_cents"],
                seconds=round(seconds, 3),
            )
        )
        if number % 20 == 0 or number == len(requests):
            log(f"  held out: {number}/{len(requests)}")
    return out


# -- statistics (agentsdk.evals.stats) ----------------------------------------------


def proportion(k: int, n: int) -> dict[str, Any]:
    from agentsdk.evals.stats import wilson

    low, high = wilson(k, n) if n else (0.0, 1.0)
    return {
        "k": k,
        "n": n,
        "p": round(k / n, 4) if n else None,
        "ci95": [round(low, 4), round(high, 4)],
    }


def difference(before: Sequence[bool], after: Sequence[bool]) -> dict[str, Any]:
    """after - before in points over the same items, with Newcombe's 95% interval for
    paired data (each item scored once per model)."""
    from agentsdk.evals.stats import newcombe_paired

    if not before:
        return {"points": 0.0, "ci95_points": [-100.0, 100.0]}
    pairs = list(zip(after, before, strict=True))
    both = sum(a and b for a, b in pairs)
    after_only = sum(a and not b for a, b in pairs)
    before_only = sum(b and not a for a, b in pairs)
    neither = len(pairs) - both - after_only - before_only
    low, high = newcombe_paired(both, after_only, before_only, neither)
    d = (after_only - before_only) / len(pairs)
    return {"points": round(100 * d, 1), "ci95_points": [round(100 * low, 1), round(100 * high, 1)]}


def outcomes(proposed: Sequence[Proposed | dict[str, Any]]) -> dict[str, list[bool]]:
    """Per measure, whether each request it covers went right (in the requests' order)."""
    rows = [p if isinstance(p, dict) else asdict(p) for p in proposed]
    refunds = [p for p in rows if p["refund"]]
    return {
        "right_tool": [p["right_tool"] for p in rows],
        "rule_arguments": [p["rule_arguments"] for p in refunds],
        "rule_arguments_seen_phrasing": [p["rule_arguments"] for p in refunds if p["seen"]],
        "rule_arguments_new_phrasing": [p["rule_arguments"] for p in refunds if not p["seen"]],
        "order_id": [p["order_id_right"] for p in refunds],
        "amount_cents": [p["amount_right"] for p in refunds],
    }


def score(proposed: Sequence[Proposed | dict[str, Any]]) -> dict[str, Any]:
    scores: dict[str, Any] = {
        key: proportion(sum(flags), len(flags)) for key, flags in outcomes(proposed).items()
    }
    seconds = sorted(p.seconds if isinstance(p, Proposed) else p["seconds"] for p in proposed)
    scores["median_seconds"] = round(seconds[len(seconds) // 2], 3)
    return scores


def held_out(base: Sequence[Any], tuned: Sequence[Any]) -> dict[str, Any]:
    """The held-out scores of both models and their paired differences."""
    before, after = outcomes(base), outcomes(tuned)
    differences = {key: difference(before[key], after[key]) for key in before}
    return {
        "base": score(base),
        "adapter": score(tuned),
        "difference": differences,
        "target_met": differences["rule_arguments"]["points"] >= 30,
    }


def case_difference(base: dict[str, bool], other: dict[str, bool]) -> dict[str, Any]:
    """The paired difference of two evals/tool_calls runs, case by case."""
    cases = sorted(set(base) & set(other))
    return difference([base[c] for c in cases], [other[c] for c in cases])


def rescore(path: Path) -> dict[str, Any]:
    """Work out the scores and differences of a results.json again from its proposals
    and tool_calls cases (what changed in how they are computed applies to an old run)."""
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    proposals = results["proposals"]
    results["held_out"] = held_out(proposals["base"], proposals["adapter"])
    calls = results.get("tool_calls")
    if calls:
        base = calls["base"]["passed"]
        calls["difference"] = case_difference(base, calls["adapter"]["passed"])
        if "adapter_all" in calls:
            calls["difference_all"] = case_difference(base, calls["adapter_all"]["passed"])
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


# -- the run ------------------------------------------------------------------------


@contextmanager
def phase(timings: dict[str, float], name: str, log: Callable[[str], None]) -> Iterator[None]:
    log(f"[{name}]")
    began = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - began, 1)
    log(f"[{name}] {timings[name]} s")


def tool_calls_run(model: Any, label: str, limit: int | None) -> dict[str, Any]:
    from agentsdk.evals import Dataset, evaluate_sync, model_target

    tools = json.loads((TOOL_CALLS / "tools.json").read_text(encoding="utf-8"))
    dataset = Dataset.from_jsonl(TOOL_CALLS / "cases.jsonl", name="tool_calls").limit(limit)
    run = evaluate_sync(dataset, model_target(model, tools), model=label, progress=False)
    summary = run.summary()
    passed = {r.case.id: r.passed for r in run.scored}
    return {
        "pass_rate": proportion(summary["passed"], summary["scored"]),
        "errors": summary["errors"],
        "median_seconds": summary["median_seconds"],
        "passed": passed,
    }


def _pct(value: dict[str, Any]) -> str:
    low, high = value["ci95"]
    return (
        f"{100 * value['p']:.1f}% ({value['k']}/{value['n']}) [{100 * low:.1f}, {100 * high:.1f}]"
    )


def _diff(value: dict[str, Any]) -> str:
    low, high = value["ci95_points"]
    return f"{value['points']:+.1f} [{low:+.1f}, {high:+.1f}]"


def markdown(results: dict[str, Any]) -> str:
    base, tuned = results["held_out"]["base"], results["held_out"]["adapter"]
    diffs = results["held_out"]["difference"]
    rows = [
        ("right tool (all held-out requests)", "right_tool"),
        ("**rule's arguments, exact** (refund requests)", "rule_arguments"),
        ("  - in phrasings seen in training", "rule_arguments_seen_phrasing"),
        ("  - in phrasings never seen", "rule_arguments_new_phrasing"),
        ("order_id = ORD-digits", "order_id"),
        ("amount_cents right", "amount_cents"),
    ]
    lines = [
        "| held out | stock LLM | + adapter | difference, points |",
        "| --- | --- | --- | --- |",
    ]
    for label, key in rows:
        lines.append(f"| {label} | {_pct(base[key])} | {_pct(tuned[key])} | {_diff(diffs[key])} |")
    calls = results.get("tool_calls")
    if calls:
        b, a = calls["base"]["pass_rate"], calls["adapter"]["pass_rate"]
        lines.append(
            f"| evals/tool_calls pass rate | {_pct(b)} | {_pct(a)} | {_diff(calls['difference'])} |"
        )
        if "adapter_all" in calls:
            every = calls["adapter_all"]["pass_rate"]
            lines.append(
                f"| evals/tool_calls, adapter_scope='all' | {_pct(b)} | {_pct(every)} | "
                f"{_diff(calls['difference_all'])} |"
            )
    training = results["training"]
    lines += [
        "",
        f"decisions: {results['decisions']}; rows: {results['export']['sft_rows']} sft, "
        f"{results['export']['preference_rows']} preferences; training: {training['rows']} rows, "
        f"{training['steps']} steps, {training['train_seconds']} s in the loop, final loss "
        f"{training['final_loss']:.4f}; phases (s): {results['seconds']}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=240, help="training requests (240)")
    parser.add_argument("--held-out", type=int, default=80, help="held-out requests (80)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (8)")
    parser.add_argument("--alpha", type=int, default=16, help="LoRA alpha (16)")
    parser.add_argument("--out", type=Path, help="a new or empty folder")
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="RESULTS_JSON",
        help="work out the scores of an earlier run's results.json again and print them",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 24 decisions, 16 held out, 1 epoch, 6 tool_calls cases",
    )
    parser.add_argument("--skip-tool-calls", action="store_true", help="leave out evals/tool_calls")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1: on 2 shared cores, 2 threads stalled for 5-20 s at a time)",
    )
    args = parser.parse_args(argv)
    if args.rescore is not None:
        print(markdown(rescore(args.rescore)))
        return 0
    if args.out is None:
        parser.error("--out is required (or --rescore)")
    if args.quick:
        args.decisions, args.held_out, args.epochs = 24, 16, 1
    tool_calls_limit = 6 if args.quick else None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out: Path = args.out.expanduser().resolve()
    if out.exists() and any(out.iterdir()):
        parser.error(f"{out} is not empty: give a new folder")
    out.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    import torch

    torch.set_num_threads(args.threads)
    from agentsdk import Kit, SQLiteCheckpointStore
    from agentsdk.learn import export_dataset
    from agentsdk.learn.train import train_adapter

    started = time.perf_counter()
    timings: dict[str, float] = {}
    train, test = make_requests(args.decisions, args.held_out, args.seed)
    refund = make_refund_tool()
    kit = Kit.stock()
    store = SQLiteCheckpointStore(out / "runs.db")
    agent = make_agent(kit, refund, store)
    with phase(timings, "decisions", log):
        decisions = collect_decisions(agent, train, log)
    with phase(timings, "export", log):
        summary = export_dataset(store=store, out=out / "data", agent=agent, test_fraction=0)
        log(summary.render())
    with phase(timings, "train", log):
        trained = train_adapter(
            out / "data" / "train",
            "stock",
            out=out / "adapter",
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            rank=args.rank,
            alpha=args.alpha,
            seed=args.seed,
            progress=False,
        )
    log(
        f"  {trained.rows} rows, {trained.examples} sequences, {trained.steps} steps, "
        f"{trained.train_seconds:.1f} s, epoch losses {[round(x, 4) for x in trained.epoch_losses]}"
    )
    tuned_kit = Kit.stock(adapter=trained.adapter)
    with phase(timings, "held_out_base", log):
        base = propose(make_agent(kit, refund), test, log)
    with phase(timings, "held_out_adapter", log):
        tuned = propose(make_agent(tuned_kit, refund), test, log)
    results: dict[str, Any] = {
        "setup": {
            "command": " ".join(["python", "tools/learn_rule.py", *(argv or sys.argv[1:])]),
            "decisions": args.decisions,
            "held_out": args.held_out,
            "seed": args.seed,
            "epochs": args.epochs,
            "learning_rate": args.learning_rate,
            "rank": args.rank,
            "alpha": args.alpha,
            "max_tokens": MAX_TOKENS,
            "torch_threads": args.threads,
            "rule": "order_id = 'ORD-' + the order's digits; amount_cents = the amount in cents",
            "tool": "refund(order_id: str, amount_cents: int), approval='always', no templates",
            "held_out_new_phrasings": sum(not r.seen for r in test),
            "held_out_questions": sum(not r.refund for r in test),
            "train_questions": sum(not r.refund for r in train),
        },
        "decisions": decisions,
        "export": {
            "sft_rows": summary.count("sft"),
            "preference_rows": summary.count("preferences"),
            "decisions": summary.decisions,
            "left_out": summary.skipped,
        },
        "training": {
            "rows": trained.rows,
            "examples": trained.examples,
            "target_tokens": trained.target_tokens,
            "steps": trained.steps,
            "train_seconds": round(trained.train_seconds, 1),
            "seconds": round(trained.seconds, 1),
            "epoch_losses": [round(x, 4) for x in trained.epoch_losses],
            "final_loss": trained.final_loss,
            "skipped": dict(trained.skipped),
        },
        "held_out": held_out(base, tuned),
        "proposals": {
            "base": [asdict(p) for p in base],
            "adapter": [asdict(p) for p in tuned],
        },
    }
    if not args.skip_tool_calls:
        from agentsdk.models.resolve import resolve_model

        with phase(timings, "tool_calls_base", log):
            calls_base = tool_calls_run(resolve_model("stock"), "smollm2-135m", tool_calls_limit)
        with phase(timings, "tool_calls_adapter", log):
            calls_tuned = tool_calls_run(tuned_kit.llm, "smollm2-135m+adapter", tool_calls_limit)
        everywhere = Kit.stock(adapter=trained.adapter, adapter_scope="all")
        with phase(timings, "tool_calls_adapter_all", log):
            calls_all = tool_calls_run(everywhere.llm, "adapter, scope all", tool_calls_limit)

        def changed(run: dict[str, Any]) -> dict[str, list[bool | None]]:
            before = calls_base["passed"]
            return {c: [before[c], run["passed"].get(c)] for c in sorted(before)
                    if before[c] != run["passed"].get(c)}  # fmt: skip

        results["tool_calls"] = {
            "base": calls_base,
            "adapter": calls_tuned,
            "difference": case_difference(calls_base["passed"], calls_tuned["passed"]),
            "changed_cases": changed(calls_tuned),
            "adapter_all": calls_all,
            "difference_all": case_difference(calls_base["passed"], calls_all["passed"]),
            "changed_cases_all": changed(calls_all),
        }
    timings["total"] = round(time.perf_counter() - started, 1)
    results["seconds"] = timings
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(markdown(results))
    print(f"\nresults: {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`agentsdk learn STEP`: learning from people's decisions.

- `agentsdk learn export --db FILE | --dsn DSN --out DIR [--audit FILE]
  [--agent FILE.py:NAME] [--test-fraction 0.2] [--seed 0] [--key-env VAR]`: the audit
  log and the saved states become a fine-tuning dataset (`agentsdk.learn.export`);
  prints the counts.
- `agentsdk learn train DATASET [--base stock|CHECKPOINT] [--out DIR] [--name NAME]
  [--epochs 2] [--learning-rate 2e-4] [--rank 8] [--batch-size 4] [--seed 0]
  [--device auto|cpu|cuda]`: a LoRA adapter trained on the dataset's supervised rows
  (`agentsdk.learn.train`), with a progress bar; prints where it went and how to load it.

A step is a subcommand with its own `_add_STEP(steps)` below, registered in
`add_parser`; its handler imports what it needs when it runs, so `agentsdk --help` stays
fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from agentsdk.errors import ConfigurationError

__all__ = ["add_parser", "run_export", "run_train"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `learn` and its steps to the `agentsdk` command line."""
    learn = commands.add_parser(
        "learn",
        help="learn from people's decisions: export them as a dataset, train a LoRA adapter",
    )
    steps = learn.add_subparsers(dest="step", required=True, metavar="STEP")
    _add_export(steps)
    _add_train(steps)


def _add_train(steps: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = steps.add_parser(
        "train",
        help="a LoRA adapter for the local model, from an exported dataset",
        description="Train a LoRA adapter (peft) on the supervised rows of a dataset "
        "(the folder `learn export` wrote: its train split), on the CPU or a GPU, and "
        "save it with its training metadata. Load it with Kit.stock(adapter=PATH) or "
        "LocalModel.from_pretrained(..., adapter=PATH).",
    )
    train.add_argument("dataset", type=Path, help="the export folder, or an sft .jsonl file")
    train.add_argument(
        "--base", default="stock", help="the stock LLM (default) or a checkpoint folder"
    )
    train.add_argument(
        "--out", type=Path, metavar="DIR", help="where to save it (default: the model cache)"
    )
    train.add_argument("--name", help="the adapter's name (default: the dataset's and the time)")
    train.add_argument("--epochs", type=int, default=2)
    train.add_argument("--learning-rate", type=float, default=2e-4)
    train.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8)")
    train.add_argument("--batch-size", type=int, default=4)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--device", default="auto", help="auto (default: a GPU when there is one), cpu or cuda"
    )
    train.add_argument("--overwrite", action="store_true", help="replace an adapter at --out")
    train.set_defaults(handler=_train)


def _train(args: argparse.Namespace) -> int:
    return run_train(
        dataset=args.dataset,
        base=args.base,
        out=args.out,
        name=args.name,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        rank=args.rank,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        overwrite=args.overwrite,
    )


def run_train(
    *, dataset: Path, stdout: TextIO | None = None, progress: bool = True, **options: Any
) -> int:
    """Run `agentsdk learn train` (a tqdm bar on stderr); prints what was trained and
    where it went; the exit status."""
    from agentsdk.learn.train import train_adapter

    summary = train_adapter(dataset, progress=progress, **options)
    say = stdout or sys.stdout
    print(
        f"trained {summary.adapter.name} on {summary.rows} rows ({summary.examples} "
        f"examples, {summary.target_tokens} target tokens) for {summary.epochs} epoch(s), "
        f"{summary.steps} steps in {summary.train_seconds:.1f} s; final loss "
        f"{summary.final_loss:.3f}",
        file=say,
    )
    if summary.skipped:
        left = ", ".join(f"{n} {why}" for why, n in summary.skipped.items())
        print(f"left out: {left}", file=say)
    tools = ", ".join(sorted(summary.scope.tools))
    where = [f"prompts listing {tools}"] if tools else []
    where += ["prompts listing no tool"] if summary.scope.plain else []
    print(f"adapter: {summary.adapter}", file=say)
    print(f"it applies to: {' and '.join(where) or 'nothing'} (adapter_scope='trained')", file=say)
    print(f"use it: Kit.stock(adapter={str(summary.adapter)!r})", file=say)
    return 0


def _add_export(steps: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = steps.add_parser(
        "export",
        help="the audit log and saved states -> sft, preference and transcript JSONL files",
        description="Write the decisions people made (approve, edit, reject, respond, "
        "confirm, correct) as supervised pairs, preference pairs and corrected "
        "transcripts (JSON Lines in the OpenAI chat format, as TRL reads them), PII "
        "redacted, split into train and test by thread, with a manifest.json.",
    )
    where = export.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, metavar="FILE", help="the SQLite checkpoint store")
    where.add_argument("--dsn", metavar="DSN", help="the PostgreSQL checkpoint store")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="write here")
    export.add_argument(
        "--audit",
        type=Path,
        metavar="FILE",
        help="the audit log, when not the store's own: JSON Lines of audit entries, or "
        "an SQLite store file (default: the store's audit table)",
    )
    export.add_argument(
        "--agent",
        metavar="FILE.py:NAME",
        help="the agent the runs used (or MODULE:NAME): its tool schemas go in every row",
    )
    export.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        metavar="F",
        help="share of the threads that go to test (default 0.2)",
    )
    export.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the split (default 0)"
    )
    export.add_argument(
        "--key-env",
        metavar="VAR",
        help="the environment variable holding the store's signing key (signed stores)",
    )
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    return run_export(
        db=args.db,
        dsn=args.dsn,
        out=args.out,
        audit=args.audit,
        agent=args.agent,
        test_fraction=args.test_fraction,
        seed=args.seed,
        key_env=args.key_env,
    )


def run_export(
    *,
    out: Path,
    db: Path | None = None,
    dsn: str | None = None,
    audit: Path | None = None,
    agent: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    key_env: str | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run `agentsdk learn export`; prints the counts; the exit status."""
    from agentsdk.learn import export_dataset
    from agentsdk.learn.sources import open_store

    key: str | None = None
    if key_env is not None:
        key = os.environ.get(key_env)
        if not key:
            raise ConfigurationError(f"--key-env {key_env}: that environment variable is empty")
    store = open_store(db, dsn=dsn, key=key)
    made = None
    if agent is not None:
        from agentsdk.cli.agent_file import load_agent

        made = load_agent(agent)
    summary = export_dataset(
        store=store,
        out=out,
        audit=audit,
        agent=made,
        test_fraction=test_fraction,
        seed=seed,
    )
    print(summary.render(), file=stdout or sys.stdout)
    return 0

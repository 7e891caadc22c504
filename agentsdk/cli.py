"""The `agentsdk` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _doctor(args: argparse.Namespace) -> int:
    from agentsdk.doctor import diagnose, render

    report = diagnose(load=not args.no_load)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render(report))
    return 0 if report.usable else 1


def _demo(args: argparse.Namespace) -> int:
    from agentsdk.demo import run_demo

    run_demo(args.image, args.audio)
    return 0


def _threshold(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ENCODER=THRESHOLD, got {text!r}") from None


def _chat(args: argparse.Namespace) -> int:
    from agentsdk.agent import Agent
    from agentsdk.approvals import ConsoleApprover
    from agentsdk.chat import chat
    from agentsdk.checkpoints import SQLiteCheckpointStore
    from agentsdk.kit import Kit
    from agentsdk.toolbox import calculator, current_time

    tools = [calculator, current_time]
    agent = Agent(
        kit=Kit.stock(),
        tools=tools,
        approvals={t.name: "always" for t in tools} if args.approve_tools else {},
        escalation=dict(args.escalate),
        approver=ConsoleApprover(),
        checkpointer=SQLiteCheckpointStore(args.db) if args.db else None,
    )
    return chat(agent, resume=args.resume)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentsdk", description="Multimodal agents that see, hear and work with people."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="a receipt and a spoken question -> OCR, speech, a tool call, the answer"
    )
    demo.add_argument("--image", type=Path, help="receipt image (default: the bundled one)")
    demo.add_argument("--audio", type=Path, help="spoken question (default: the bundled one)")
    demo.set_defaults(handler=_demo)
    chat = commands.add_parser(
        "chat", help="talk with the stock kit; approvals and corrections at the console"
    )
    chat.add_argument("--db", type=Path, help="SQLite file that keeps paused runs")
    chat.add_argument("--resume", metavar="THREAD", help="resume a paused run (needs --db)")
    chat.add_argument("--approve-tools", action="store_true", help="ask before every tool call")
    chat.add_argument(
        "--escalate",
        type=_threshold,
        action="append",
        default=[],
        metavar="ENCODER=THRESHOLD",
        help="ask a person when an encoder is less sure than this (e.g. speech=0.35)",
    )
    chat.set_defaults(handler=_chat)
    doctor = commands.add_parser(
        "doctor", help="check versions, devices and the stock kit (exit 1 if it is unusable)"
    )
    doctor.add_argument("--no-load", action="store_true", help="find and verify, don't load")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.set_defaults(handler=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Models come from local files only; never wait on a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The `agentsdk` command line.

Errors agentsdk raises on purpose (`agentsdk.errors.AgentSDKError`: a bad option, a
missing file, a model that cannot load) end the command with one line on stderr,
`agentsdk COMMAND: error: ...`, and exit status 2, like argparse's usage errors; anything
else keeps its traceback, since it is a bug to report. A reader that closes the pipe
early (`agentsdk doctor --json | head -1`) ends the command quietly with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsdk.cli.learn import add_parser as add_learn
from agentsdk.errors import AgentSDKError, ConfigurationError, MissingDependencyError

if TYPE_CHECKING:
    from agentsdk.agent import Agent

__all__ = ["main"]


def _doctor(args: argparse.Namespace) -> int:
    from agentsdk.cli.doctor import diagnose, render

    report = diagnose(load=not args.no_load)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render(report))
    return 0 if report.usable else 1


def _demo(args: argparse.Namespace) -> int:
    from agentsdk.cli.demo import run_demo

    run_demo(args.image, args.audio, speak=args.speak)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from agentsdk.cli.eval import run_command

    return run_command(
        args.suites,
        model=args.model,
        report=args.report,
        json_out=args.json,
        baseline=args.baseline,
        tolerance=args.tolerance,
        limit=args.limit,
        ci=args.ci,
        concurrency=args.concurrency,
        root=args.root,
        adapter=args.adapter,
        adapter_scope=args.adapter_scope,
    )


def _serve(args: argparse.Namespace) -> int:
    try:
        from agentsdk.cli.serve import ServeOptions, new_key_entry, serve
    except ImportError as exc:
        raise MissingDependencyError(
            f"agentsdk serve needs the serve extra ({exc.name} is missing): "
            "pip install 'agentsdk[serve]'"
        ) from None

    if args.new_key:
        print(new_key_entry(args.new_key, args.scopes))
        return 0
    if not args.agents:
        raise ConfigurationError("give the agents to serve: --agents FILE.py:NAME")
    return serve(
        ServeOptions(
            agents=args.agents,
            host=args.host,
            port=args.port,
            keys=args.keys,
            max_runs=args.max_runs,
            max_body_mb=args.max_body_mb,
            ray_replicas=args.replicas if args.ray else None,
        )
    )


def _threshold(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ENCODER=THRESHOLD, got {text!r}") from None


def _chat(args: argparse.Namespace) -> int:
    from agentsdk.cli.chat import chat

    if args.resume is not None and args.db is None:
        raise ConfigurationError(
            f"--resume {args.resume} needs --db FILE: paused runs are kept only in a database"
        )
    return chat(_chat_agent(args), resume=args.resume, speak=args.speak)


def _chat_agent(args: argparse.Namespace) -> Agent:
    """The agent `agentsdk chat` talks with: the stock kit's with two ready tools, or the
    one `--agent` names; the options add to it (a person at the console decides unless the
    agent has an approver of its own)."""
    import dataclasses

    from agentsdk.agent import Agent
    from agentsdk.cli.agent_file import load_agent
    from agentsdk.hitl.console import ConsoleApprover
    from agentsdk.kit import Kit
    from agentsdk.run.checkpoints import SQLiteCheckpointStore
    from agentsdk.toolbox import calculator, current_time
    from agentsdk.tools import Tool, as_tool

    if args.agent is not None:
        agent = load_agent(args.agent)
    else:
        stock: list[Tool[..., Any]] = [calculator, current_time]
        agent = Agent(kit=Kit.stock(), tools=stock)
    names = [as_tool(t).name for t in agent.tools]
    return dataclasses.replace(
        agent,
        approvals={
            **agent.approvals,
            **dict.fromkeys(names if args.approve_tools else [], "always"),
        },
        escalation={**agent.escalation, **dict(args.escalate)},
        approver=agent.approver if agent.approver is not None else ConsoleApprover(),
        checkpointer=SQLiteCheckpointStore(args.db) if args.db else agent.checkpointer,
    )


def _plan(args: argparse.Namespace) -> int:
    from agentsdk.placement import model_spec, parse_bytes, plan_placement, simulate_devices
    from agentsdk.placement import stock_models as stock

    def pairs(items: Sequence[str], what: str) -> dict[str, str]:
        found = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key or not value:
                raise ConfigurationError(f"{what} takes KEY=VALUE, got {item!r}")
            found[key.strip()] = value.strip()
        return found

    models = list(stock())
    if args.llm:
        models = [model_spec(args.llm, role="llm"), *(m for m in models if m.role != "llm")]
    if args.speech:
        speech = model_spec(args.speech, role="speech")
        models = [*(m for m in models if m.role != "speech"), speech]
    if args.vision:
        models.append(model_spec(args.vision, role="vision"))
    # A kit that does not fit raises DoesNotFitError, which says what would: exit 2.
    plan = plan_placement(
        models,
        simulate_devices(args.simulate) if args.simulate is not None else None,
        context=args.context,
        batch=args.batch,
        pins=pairs(args.pin, "--pin"),
        exclude=args.exclude,
        max_memory={k: parse_bytes(v) for k, v in pairs(args.max_memory, "--max-memory").items()},
        reserve=args.reserve,
        offload=not args.no_offload,
        simulated=args.simulate is not None,
    )
    print(plan.to_json() if args.json else plan.table())
    return 0


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
    demo.add_argument(
        "--speak", type=Path, metavar="OUT.wav", help="also speak the answer into this WAV file"
    )
    demo.set_defaults(handler=_demo)
    chat = commands.add_parser(
        "chat",
        help="talk with the stock kit (or --agent); answers stream; /help lists the commands "
        "(/image /audio /video /speak /trace /save); approvals and corrections at the console",
    )
    chat.add_argument("--db", type=Path, help="SQLite file that keeps paused runs")
    chat.add_argument("--resume", metavar="THREAD", help="resume a paused run (needs --db)")
    chat.add_argument(
        "--speak",
        type=Path,
        metavar="OUT.wav",
        help="speak each answer into this WAV file (/speak on|off switches it)",
    )
    chat.add_argument(
        "--agent",
        metavar="FILE.py:NAME",
        help="chat with this agent (an Agent, or a function returning one; also "
        "MODULE:NAME) instead of the stock kit's",
    )
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
    plan = commands.add_parser(
        "plan", help="place the kit's models across GPUs, CPU and disk; print the plan"
    )
    plan.add_argument(
        "--simulate",
        metavar="SPEC",
        help="plan for a machine you don't have: GPUs as COUNTxSIZE[@CAPABILITY], e.g. "
        "2x24GiB or 1x80GiB,2x16GiB@7.0; cpu=SIZE, disk=SIZE; 0 for none",
    )
    plan.add_argument(
        "--llm",
        help="a preset (llama-3-8b, llama-3-70b, qwen2.5-0.5b, "
        "qwen2.5-7b, smollm2-135m) or a local config.json / checkpoint folder",
    )
    plan.add_argument(
        "--speech", help="speech model instead of the stock one, e.g. whisper-large-v3"
    )
    plan.add_argument("--vision", help="add a vision model, e.g. clip-vit-l-14 or a CLIP folder")
    plan.add_argument("--context", type=int, default=4096, help="LLM context tokens (KV cache)")
    plan.add_argument("--batch", type=int, default=1, help="sequences the LLM generates at once")
    plan.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="MODEL=DEVICE",
        help="put a model (name or role) on a device, e.g. llm=cuda:1",
    )
    plan.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="DEVICE",
        help="don't use a device, e.g. cuda:1 or disk",
    )
    plan.add_argument(
        "--max-memory",
        action="append",
        default=[],
        metavar="DEVICE=SIZE",
        help="use at most SIZE of a device, e.g. cuda:0=20GiB",
    )
    plan.add_argument(
        "--reserve",
        type=float,
        default=0.05,
        help="fraction of each GPU and of RAM kept free (default 0.05)",
    )
    plan.add_argument(
        "--no-offload",
        action="store_true",
        help="fail rather than offload the LLM to CPU RAM or disk",
    )
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(handler=_plan)
    evals = commands.add_parser(
        "eval",
        help="score the agent on eval suites end to end; JSON, HTML report, baseline, adapter",
    )
    evals.add_argument("suites", nargs="+", metavar="SUITE", help="suite names or folders")
    evals.add_argument("--model", help="a model name instead of the kit's (e.g. openai:M@URL)")
    evals.add_argument("--report", type=Path, help="write an HTML report here")
    evals.add_argument("--json", type=Path, help="write the results as JSON here")
    evals.add_argument("--baseline", type=Path, help="results JSON to compare with")
    evals.add_argument(
        "--tolerance", type=float, default=0.02, help="pass-rate drop that fails (default 0.02)"
    )
    evals.add_argument("--limit", type=int, help="run the first N cases of each suite")
    evals.add_argument("--ci", action="store_true", help="run each suite's CI subset")
    evals.add_argument("--concurrency", type=int, default=1, help="cases at once (default 1)")
    evals.add_argument("--root", default="evals", help="folder of named suites (default evals)")
    evals.add_argument(
        "--adapter",
        type=Path,
        metavar="PATH",
        help="a LoRA adapter (agentsdk learn train): run each agent and model suite on the "
        "base model and on it with the adapter, and compare the two",
    )
    evals.add_argument(
        "--adapter-scope",
        choices=("trained", "all"),
        help="with --adapter: 'trained' (default) uses it on prompts like those it learned "
        "from, 'all' on every reply",
    )
    evals.set_defaults(handler=_eval)
    served = commands.add_parser(
        "serve", help="serve agents over an OpenAI-compatible HTTP API, with threads to review"
    )
    served.add_argument("--agents", help="FILE.py:NAME or MODULE:NAME (agents by name)")
    served.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    served.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    served.add_argument("--keys", type=Path, help="key file (JSON); without it: loopback only")
    served.add_argument("--max-runs", type=int, default=8, help="runs at once (default 8)")
    served.add_argument(
        "--max-body-mb", type=float, default=32.0, help="largest request, MB (default 32)"
    )
    served.add_argument("--ray", action="store_true", help="replicate the app with Ray Serve")
    served.add_argument("--replicas", type=int, default=2, help="--ray: copies (default 2)")
    served.add_argument("--new-key", metavar="NAME", help="print a new key and its entry")
    served.add_argument(
        "--scopes", default="run", help="scopes of --new-key: run,review (default run)"
    )
    served.set_defaults(handler=_serve)
    add_learn(commands)  # agentsdk learn export (and later steps)
    return parser


def _one_line(error: BaseException) -> str:
    """The error's message on one line (a message may wrap a multi-line cause)."""
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def _run(argv: Sequence[str] | None) -> int:
    """Parse the arguments and run the command; agentsdk's own errors become one line."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except AgentSDKError as exc:
        print(f"agentsdk {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _flushed(call: Callable[[], int]) -> int:
    """`call()`, with stdout flushed before returning or exiting, so that a closed pipe
    shows up here as BrokenPipeError rather than at interpreter exit."""
    try:
        code = call()
    except SystemExit:  # --help, usage errors: their text must reach the reader too
        sys.stdout.flush()
        raise
    sys.stdout.flush()
    return code


def _drop_stdout() -> None:
    """Point stdout at /dev/null: the reader has gone, and the interpreter's last flush
    must not fail again (Python's recipe for SIGPIPE, see the `signal` docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured, replaced)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run `agentsdk` with `argv` (default: the process's arguments); the exit status."""
    # Models come from local files only; never wait on a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return _flushed(lambda: _run(argv))
    except BrokenPipeError:  # `agentsdk doctor --json | head -1`: the reader stopped
        _drop_stdout()
        return 1

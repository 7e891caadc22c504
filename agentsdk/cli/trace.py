"""`/trace` in `agentsdk chat`: what lies behind the last answer, read from its result.

The observations (kind, encoder, confidence, text), the prompt sections fusion built from
them (and what its budget left out), the messages sent to the model, the tool calls with
their arguments and results, and the decisions still waiting. Long texts are cut to
`WIDTH` characters on one line.
"""

from __future__ import annotations

from agentsdk.fences import CLOSE, OPEN
from agentsdk.fusion import Section
from agentsdk.messages import Message
from agentsdk.run import RunResult

__all__ = ["WIDTH", "trace_lines"]

WIDTH = 160
"""Characters of a text shown on one line (the rest is cut, with "...")."""


def _short(text: str, width: int = WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _header(section: Section) -> str:
    header = section.header
    return header.removeprefix(OPEN).removesuffix(CLOSE)


def _message(message: Message) -> str:
    shown = [_short(message.content)] if message.content.strip() else []
    if message.tool_calls:
        calls = ", ".join(f"{c.name}({dict(c.arguments)})" for c in message.tool_calls)
        shown.append(f"[calls {calls}]")
    return f"  {message.role}: {' '.join(shown)}"


def _observations(result: RunResult) -> list[str]:
    lines = ["observations:"]
    for o in result.observations:
        where = f" of {o.part_name}" if o.part_name else ""
        lines.append(
            f"  {o.kind}{where} by {o.encoder}, confidence {o.confidence:.2f}: {_short(o.text)}"
        )
    lines += [
        f"  failed: {encoder} on part {part}: {error}"
        for part, encoder, error in result.perception_failures
    ]
    return lines if len(lines) > 1 else ["observations: none"]


def _prompt(result: RunResult) -> list[str]:
    prompt = result.prompt
    budget = f" of {prompt.budget}" if prompt.budget else ""
    lines = [f"prompt sections (fusion, {prompt.tokens}{budget} tokens):"]
    for section in prompt.sections:
        lines += [f"  {_header(section)}", f"    {_short(section.body)}"]
    lines += [f"  left out: {note}" for note in prompt.dropped]
    return lines if len(lines) > 1 else ["prompt sections: none (the user's text alone)"]


def _tools(result: RunResult) -> list[str]:
    calls = {call.id: call for call in result.tool_calls}
    lines = ["tool calls:"]
    for outcome in result.tool_results:
        call = calls.get(outcome.call_id)
        arguments = dict(call.arguments) if call is not None else {}
        error = " (error)" if outcome.is_error else ""
        lines.append(f"  {outcome.name}({arguments}){error} -> {_short(outcome.content)}")
    waiting = [i.call for i in result.interruptions if i.call is not None]
    lines += [f"  {c.name}({dict(c.arguments)}) -> waiting for a decision" for c in waiting]
    return lines if len(lines) > 1 else ["tool calls: none"]


def trace_lines(result: RunResult) -> list[str]:
    """What `/trace` shows of `result`."""
    head = (
        f"behind the last answer (run {result.run_id}: {result.steps} model turn(s), "
        f"finished: {result.finish_reason}):"
    )
    lines = [head, *_observations(result), *_prompt(result)]
    lines += ["messages sent to the model:", *(_message(m) for m in result.messages)]
    lines += _tools(result)
    if result.paused:
        lines.append(f"waiting: {len(result.interruptions)} decision(s) (/resume decides)")
    return lines

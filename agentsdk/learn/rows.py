"""From one thread's decisions and its saved conversation to dataset rows.

A person's decision on a tool call is in the audit log (`decision` entries: the call as
the model made it, the action, edited arguments, the answer or the reason); the prompt
the model read when it made the call is in the thread's saved state: the conversation
(`RunState.messages`, and `RunState.history` for the run before) up to the assistant
message holding the call. The rows, all messages in the OpenAI chat format (`tool_calls`
with `arguments` as an object, as chat templates take them):

- **supervised** (`sft`): `prompt` (the messages before the model's turn: system
  instructions, earlier turns, the fused user prompt, earlier tool results) and
  `completion` (one assistant message): the turn as a person would have it. Its calls:
  those a person approved, as they were; those a person edited, with the person's
  arguments; those that needed nobody's approval, as they were. Rejected calls are left
  out. A turn gives a row when a person approved or edited at least one of its calls.
- **preference** (`preferences`): `prompt`, `chosen` and `rejected` (one assistant
  message each, with the same text: only the calls differ). When a person changed the
  turn (edited a call, or rejected some of its calls and approved others): chosen is the
  turn as above, rejected the turn as the model proposed it. When a person rejected every
  call they were asked about, there is a pair only if the model's very next turn (after
  reading the rejection) has a call a person approved or edited: chosen is that turn's
  calls as a person would have them, for the same prompt. Otherwise the rejection gives
  nothing: what the person wanted instead is not known, and no target is invented.
- **respond** (a person answered in the tool's place) gives no target and no pair: the
  call was neither approved nor refused, and the answer is not something the model
  writes. The answer stays in the conversation as the call's result, so it is in the
  prompt of every later row of the thread. A turn with an answered call gives no row.
- **transcripts**: a speech observation a person confirmed or corrected (`state.confirm`,
  `state.correct` on a perception escalation): the audio (its content hash and name;
  the SDK keeps no audio of encoded parts in the state) and the text a person stands
  behind. A transcript holding PII is left out: the audio would still speak it.

Decisions that say nothing of the model's call are left out too: re-running a call
after a crash (a `tool_started` came first). Each decision is checked against the saved
state: a call whose digest is not the one the audit log recorded was changed after the
decision (`TamperedStateError`).

For a thread of several runs, the calls of the newest run and of the run before it get
the exact prompt; older runs' calls get it as later runs kept it in their history (the
same messages unless the history budget dropped old turns).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agentsdk.errors import ConfigurationError, TamperedStateError
from agentsdk.hitl.audit import AuditEntry
from agentsdk.hitl.policies import call_digest
from agentsdk.messages import Message, ToolCall
from agentsdk.run.state import RunState
from agentsdk.safety.redaction import Redactor

__all__ = ["SKIPPED", "ThreadRows", "thread_rows"]

SKIPPED = {
    "respond": "respond: the answer is the call's result in later prompts, not a target",
    "beside_respond": "approve or edit in a turn with an answered call (no one target)",
    "reject_alone": "reject: the model's next turn has no call a person approved",
    "rerun": "a decision to re-run a call after a crash (not a judgement of the call)",
    "not_kept": "the call is not in the thread's saved conversation (trimmed or deleted)",
    "no_state": "the thread has no saved state (deleted, or not checkpointed)",
    "dropped": "a transcript a person rejected (dropped)",
    "pii": "a transcript holding PII: its audio would still speak it",
    "not_speech": "a confirmed or corrected observation that is not speech",
}
"""Why a decision gave no row, by key; the manifest counts them by these lines."""

_APPROVE = frozenset({"approve", "approve_always"})


@dataclass
class ThreadRows:
    """The rows one thread gives, and what its decisions were."""

    sft: list[dict[str, Any]] = field(default_factory=list)
    preferences: list[dict[str, Any]] = field(default_factory=list)
    transcripts: list[dict[str, Any]] = field(default_factory=list)
    decisions: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(kind, action) -> how many: ("tool", "edit"), ("perception", "correct")..."""
    skipped: Counter[str] = field(default_factory=Counter)
    """`SKIPPED` key -> how many decisions gave no row for that reason."""


@dataclass(frozen=True, slots=True)
class _Decided:
    """A person's decision on one tool call, as the audit log has it."""

    action: str
    call: ToolCall
    digest: str
    arguments: Mapping[str, Any] | None
    message: str
    run_id: str
    order: int


@dataclass(frozen=True, slots=True)
class _Turn:
    """An assistant message with tool calls, in the conversation that holds it."""

    messages: tuple[Message, ...]
    index: int

    @property
    def key(self) -> tuple[int, int]:
        return id(self.messages), self.index

    @property
    def message(self) -> Message:
        return self.messages[self.index]

    def next(self) -> _Turn | None:
        """The model's next turn, right after this one's tool results."""
        for index in range(self.index + 1, len(self.messages)):
            role = self.messages[index].role
            if role == "assistant":
                return _Turn(self.messages, index)
            if role != "tool":
                return None
        return None


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What people made of a turn's calls."""

    target: tuple[ToolCall, ...]
    """The calls as a person would have them (rejected and answered calls left out)."""
    endorsed: int
    """Calls a person approved or edited."""
    rejected: tuple[str, ...]
    """The reasons given for the rejected calls ("" when none was given)."""
    answered: int
    """Calls a person answered in the tool's place."""
    changed: bool
    """The target differs from what the model proposed."""


def _corrupt(entry: AuditEntry, why: str) -> ConfigurationError:
    return ConfigurationError(f"the audit log is corrupt: entry {entry.id} ({entry.action}) {why}")


def _decided(entry: AuditEntry, order: int) -> _Decided:
    what = entry.what
    raw = what.get("call")
    if not isinstance(raw, Mapping):
        raise _corrupt(entry, "is a tool decision without its call")
    try:
        call = ToolCall.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(entry, f"holds a call that cannot be read ({exc})") from exc
    action = str(what.get("action", ""))
    arguments = what.get("arguments")
    if action == "edit" and not isinstance(arguments, Mapping):
        raise _corrupt(entry, "is an edit without the new arguments")
    return _Decided(
        action=action,
        call=call,
        digest=str(what.get("digest") or ""),
        arguments=dict(arguments) if isinstance(arguments, Mapping) else None,
        message=str(what.get("message") or ""),
        run_id=entry.run_id,
        order=order,
    )


def _transcript(
    thread_id: str, entry: AuditEntry, redactor: Redactor, rows: ThreadRows
) -> dict[str, Any] | None:
    """The row of a confirmed or corrected speech observation, or None (counted)."""
    what, evidence = entry.what, entry.evidence or {}
    sections = evidence.get("sections") or ()
    if not sections or not isinstance(sections[0], Mapping):
        raise _corrupt(entry, "is a perception decision without its observation")
    seen = sections[0]
    action = str(what.get("action", ""))
    if action == "reject":
        rows.skipped["dropped"] += 1
        return None
    if seen.get("kind") != "speech":
        rows.skipped["not_speech"] += 1
        return None
    original = str(seen.get("text") or "")
    text = str(what.get("message") or "") if action == "correct" else original
    if redactor.find(original) or redactor.find(text):
        rows.skipped["pii"] += 1
        return None
    return {
        "audio": {"sha256": str(seen.get("part_id") or ""), "name": seen.get("part_name")},
        "text": text,
        "meta": {
            "thread_id": thread_id,
            "run_id": entry.run_id,
            "decision": action,
            "original_text": original,
            "original_confidence": seen.get("confidence"),
            "encoder": seen.get("encoder"),
            "model": seen.get("model"),
        },
    }


def _turns(state: RunState) -> dict[str, _Turn]:
    """Each call id -> the turn holding it, in the conversation that is the exact prompt
    where there is one: the newest run's own turns, then the run before (`history`),
    then older runs as the newest run kept them."""
    own, earlier = tuple(state.messages), tuple(state.history)
    start = max((i for i, m in enumerate(own) if m.role == "user"), default=0)
    found: dict[str, _Turn] = {}
    for messages, low, high in (
        (own, start, len(own)),
        (earlier, 0, len(earlier)),
        (own, 0, start),
    ):
        for index in range(low, high):
            for call in messages[index].tool_calls:
                found.setdefault(call.id, _Turn(messages, index))
    return found


def _judge(turn: _Turn, decided: Mapping[str, _Decided]) -> _Outcome:
    target: list[ToolCall] = []
    endorsed = answered = 0
    rejected: list[str] = []
    for call in turn.message.tool_calls:
        decision = decided.get(call.id)
        if decision is None:  # it needed nobody's approval: the model's call stands
            target.append(call)
        elif decision.action in _APPROVE:
            target.append(call)
            endorsed += 1
        elif decision.action == "edit":
            assert decision.arguments is not None
            target.append(replace(call, arguments=dict(decision.arguments)))
            endorsed += 1
        elif decision.action == "reject":
            rejected.append(decision.message)
        else:
            answered += 1
    proposed = [(c.name, dict(c.arguments)) for c in turn.message.tool_calls]
    changed = proposed != [(c.name, dict(c.arguments)) for c in target]
    return _Outcome(tuple(target), endorsed, tuple(rejected), answered, changed)


def _call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": dict(call.arguments)},
    }


def _assistant(content: str, calls: Sequence[ToolCall]) -> dict[str, Any]:
    return {"role": "assistant", "content": content, "tool_calls": [_call(c) for c in calls]}


def _chat(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in the OpenAI chat format (media left out; a tool message names its tool)."""
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    out: list[dict[str, Any]] = []
    for message in messages:
        data: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            data["tool_calls"] = [_call(c) for c in message.tool_calls]
        if message.role == "tool":
            data["tool_call_id"] = message.tool_call_id
            data["name"] = names.get(str(message.tool_call_id), "")
        out.append(data)
    return out


def _check(thread_id: str, call: ToolCall, decision: _Decided) -> None:
    """The saved call must be the call the person decided on (its digest, name, args)."""
    same = call.name == decision.call.name and dict(call.arguments) == dict(decision.call.arguments)
    if not same or (decision.digest and call_digest(call) != decision.digest):
        raise TamperedStateError(
            f"thread {thread_id!r}: call {call.id} ({call.name}) in the saved state is not "
            "the call the audit log says a person decided on: the state was changed after "
            "the decision"
        )


def _calls_meta(turn: _Turn, decided: Mapping[str, _Decided]) -> list[dict[str, str]]:
    return [
        {
            "id": c.id,
            "tool": c.name,
            "decision": decided[c.id].action if c.id in decided else "none",
        }
        for c in turn.message.tool_calls
    ]


def _read(
    thread_id: str, entries: Sequence[AuditEntry], redactor: Redactor, rows: ThreadRows
) -> dict[str, _Decided]:
    """The thread's tool decisions by call id (the transcripts go into `rows`)."""
    decided: dict[str, _Decided] = {}
    started: set[str] = set()
    for order, entry in enumerate(entries):
        if entry.action == "tool_started":
            call = entry.what.get("call")
            if isinstance(call, Mapping):
                started.add(str(call.get("id")))
            continue
        if entry.action != "decision":
            continue
        kind, action = str(entry.what.get("kind")), str(entry.what.get("action"))
        rows.decisions[(kind, action)] += 1
        if kind == "perception":
            row = _transcript(thread_id, entry, redactor, rows)
            if row is not None:
                rows.transcripts.append(row)
        elif kind == "tool":
            decision = _decided(entry, order)
            if decision.call.id in started or decision.call.id in decided:
                rows.skipped["rerun"] += 1  # asked again after a crash mid-call
            else:
                decided[decision.call.id] = decision
        else:
            raise _corrupt(entry, f"is a decision of unknown kind {kind!r}")
    return decided


def thread_rows(
    thread_id: str,
    state: RunState,
    entries: Sequence[AuditEntry],
    *,
    tools: Sequence[Mapping[str, Any]] | None,
    redactor: Redactor,
) -> ThreadRows:
    """The rows of one thread: its audit `entries` (oldest first) read against its newest
    saved `state`; `tools`, when known, are the schemas the model was offered. The rows
    hold real values: redacting them is the caller's."""
    rows = ThreadRows()
    decided = _read(thread_id, entries, redactor, rows)
    turns = _turns(state)
    grouped: dict[tuple[int, int], _Turn] = {}
    run_of: dict[tuple[int, int], str] = {}
    for call_id, decision in sorted(decided.items(), key=lambda item: item[1].order):
        turn = turns.get(call_id)
        if turn is None:
            rows.skipped["not_kept"] += 1
            continue
        call = next(c for c in turn.message.tool_calls if c.id == call_id)
        _check(thread_id, call, decision)
        grouped.setdefault(turn.key, turn)
        run_of.setdefault(turn.key, decision.run_id)
    outcomes = {key: _judge(turn, decided) for key, turn in grouped.items()}
    extra = {} if tools is None else {"tools": [dict(t) for t in tools]}
    for key, turn in grouped.items():
        outcome = outcomes[key]
        if outcome.answered:
            rows.skipped["respond"] += outcome.answered
            if outcome.endorsed:
                rows.skipped["beside_respond"] += outcome.endorsed
            continue
        prompt, content = _chat(turn.messages[: turn.index]), turn.message.content
        meta = {"thread_id": thread_id, "run_id": run_of[key], "calls": _calls_meta(turn, decided)}
        proposed = _assistant(content, turn.message.tool_calls)
        if outcome.endorsed:
            chosen, source = _assistant(content, outcome.target), "this turn"
            rows.sft.append({"prompt": prompt, "completion": [chosen], **extra, "meta": meta})
            if not outcome.changed:
                continue
        else:  # every call a person was asked about was rejected: what came next?
            after = turn.next()
            later = outcomes.get(after.key) if after is not None else None
            if later is None or not later.endorsed or later.answered:
                rows.skipped["reject_alone"] += len(outcome.rejected)
                continue
            chosen, source = _assistant(content, later.target), "the next turn"
        rows.preferences.append(
            {
                "prompt": prompt,
                "chosen": [chosen],
                "rejected": [proposed],
                **extra,
                "meta": {**meta, "chosen_from": source, "reasons": _reasons(outcome)},
            }
        )
    return rows


def _reasons(outcome: _Outcome) -> list[str]:
    """The reasons people gave for rejecting calls of the turn (empty ones left out)."""
    return [reason for reason in outcome.rejected if reason.strip()]

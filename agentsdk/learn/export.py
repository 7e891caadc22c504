"""`export_dataset`: people's decisions become a fine-tuning dataset (`agentsdk learn export`).

>>> from agentsdk.learn import export_dataset
>>> summary = export_dataset(store="runs.db", out="data/", agent=agent)
>>> print(summary.render())

It reads the audit log (the store's audit table, or `audit=`) for every decision a
person made, and each decided thread's saved state for the conversation the model read
(`agentsdk.learn.rows` says what becomes a row). It writes, in `out`:

```
train/sft.jsonl          {"prompt": [messages], "completion": [assistant], "tools": [...], "meta"}
train/preferences.jsonl  {"prompt": [messages], "chosen": [assistant], "rejected": [assistant],
                          "tools": [...], "meta"}
train/transcripts.jsonl  {"audio": {"sha256", "name"}, "text", "meta"}
test/...                 the same three files for the test threads
manifest.json            counts, sources, the split, the redaction rules, the time
```

Messages are in the OpenAI chat format with `tool_calls` (arguments as an object, as
Hugging Face chat templates take them), so TRL reads the files as they are: SFT as
conversational prompt-completion (the loss on the completion only), DPO as
conversational preference with an explicit prompt, e.g. `load_dataset("json",
data_files={"train": "data/train/sft.jsonl", "test": "data/test/sft.jsonl"})`. `tools`
(the schemas the model was offered) is there when the agent is given: the state keeps
a fingerprint of each tool, not its schema, so the agent's tools are checked against the
fingerprints and refused when the thread ran with other tools.

Nothing leaves unredacted: every string, key and PII-looking number of every row is
redacted with the SDK's rules (`agentsdk.learn.scrub`), then checked again before a file
is written; reviewers' names, the evidence they saw and media are not exported.
The split keeps whole threads on one side (`agentsdk.learn.split`). The same inputs,
seed and fraction give the same files, byte for byte (only the manifest's `created`
differs).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError
from agentsdk.hitl.audit import AuditEntry
from agentsdk.hitl.policies import policy_fingerprint
from agentsdk.learn.rows import SKIPPED, ThreadRows, thread_rows
from agentsdk.learn.scrub import Scrubber, leaks
from agentsdk.learn.sources import AuditSource, ExportStore, load_state, open_store, read_audit
from agentsdk.learn.split import SPLITS, Split, check_split, split_of
from agentsdk.models.extractive import TEMPLATES_KEY
from agentsdk.safety.redaction import Redactor
from agentsdk.tools import tools_by_name

if TYPE_CHECKING:
    from agentsdk.agent import Agent

__all__ = ["FORMAT", "KINDS", "ExportSummary", "export_dataset"]

FORMAT = "agentsdk.learn/1"
"""The format of the exported files, named in the manifest."""
KINDS = ("sft", "preferences", "transcripts")
"""The row kinds, each a JSON Lines file per split (`train/sft.jsonl`...)."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote: rows per kind and split, threads, decisions, what was left."""

    out: Path
    rows: Mapping[str, Mapping[str, int]]
    """Kind ("sft", "preferences", "transcripts") -> split -> rows written."""
    threads: Mapping[str, int]
    """Split -> threads with at least one row."""
    decisions: Mapping[str, Mapping[str, int]]
    """Kind ("tool", "perception") -> action -> decisions read."""
    skipped: Mapping[str, int]
    """Why decisions gave no row (a line of `agentsdk.learn.rows.SKIPPED`) -> how many."""
    manifest: Mapping[str, Any]

    def count(self, kind: str, split: str | None = None) -> int:
        """Rows of `kind`, in one split or both."""
        by_split = self.rows.get(kind, {})
        return by_split.get(split, 0) if split is not None else sum(by_split.values())

    def render(self) -> str:
        """A few lines for a terminal."""
        names = {"sft": "supervised pairs", "preferences": "preference pairs"}
        lines = [f"exported to {self.out}:"]
        for kind in KINDS:
            lines.append(
                f"  {self.count(kind):>5} {names.get(kind, kind)} (train "
                f"{self.count(kind, 'train')}, test {self.count(kind, 'test')})"
            )
        total = sum(sum(actions.values()) for actions in self.decisions.values())
        decided = ", ".join(
            f"{action} {n}"
            for kind in sorted(self.decisions)
            for action, n in sorted(self.decisions[kind].items())
        )
        lines.append(f"  from {total} decisions ({decided})")
        lines.append(
            f"  threads: train {self.threads.get('train', 0)}, test {self.threads.get('test', 0)}"
        )
        for why, n in sorted(self.skipped.items()):
            lines.append(f"  left out {n}: {why}")
        return "\n".join(lines)


def _schemas(agent: Agent) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """The agent's tool schemas as the model is offered them (without SDK extras), and
    for each tool the fingerprints a run of it may have recorded (its policy, or
    "always"/"never" set by a command line such as `agentsdk chat --approve-tools`)."""
    tools = tools_by_name(agent.tools)
    schemas: list[dict[str, Any]] = []
    accepted: dict[str, set[str]] = {}
    for name, tool in tools.items():
        schema = tool.schema()
        function = schema.get("function")
        if isinstance(function, dict):
            function.pop(TEMPLATES_KEY, None)
        schemas.append(schema)
        policies = (agent.approvals.get(name, tool.approval), tool.approval, "always", "never")
        accepted[name] = {policy_fingerprint(tool.shared_schema(), p) for p in policies}
    return schemas, accepted


def _check_tools(
    thread_id: str, recorded: Mapping[str, str], accepted: dict[str, set[str]]
) -> None:
    """Refuse to label a thread with tools other than those it ran with."""
    if not recorded:  # an old state without fingerprints: nothing to compare
        return
    differ = sorted(
        name
        for name in {*recorded, *accepted}
        if name not in recorded or recorded[name] not in accepted.get(name, set())
    )
    if differ:
        raise ConfigurationError(
            f"thread {thread_id!r} ran with other tools than the agent given "
            f"({', '.join(differ)} differ): export it with the agent it ran with, or "
            "without the agent (the rows then have no tool schemas)"
        )


def _dump(row: Mapping[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _write(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def _kind_action(entry: AuditEntry) -> tuple[str, str]:
    return str(entry.what.get("kind")), str(entry.what.get("action"))


def _by_thread(entries: Sequence[AuditEntry]) -> dict[str, list[AuditEntry]]:
    """Entries of threads with a person's decision, oldest first, threads sorted."""
    threads: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        if entry.thread_id:
            threads.setdefault(entry.thread_id, []).append(entry)
    decided = {t for t, found in threads.items() if any(e.action == "decision" for e in found)}
    return {t: threads[t] for t in sorted(decided)}


def _empty(
    entries: Sequence[AuditEntry], decisions: Counter[tuple[str, str]], why: Counter[str]
) -> str:
    if not entries:
        return "the audit log is empty: there were no decisions to learn from"
    if not decisions:
        return (
            f"the audit log holds {len(entries)} entries but no decision by a person: "
            "there is nothing to learn from"
        )
    made = ", ".join(f"{kind} {action} {n}" for (kind, action), n in sorted(decisions.items()))
    left = "; ".join(f"{n} {SKIPPED[key]}" for key, n in sorted(why.items()) if n) or "none"
    return f"no rows to export: the decisions ({made}) gave none (left out: {left})"


def export_dataset(
    *,
    store: ExportStore | str | Path,
    out: str | Path,
    audit: AuditSource | None = None,
    agent: Agent | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    key: str | bytes | None = None,
    redactor: Redactor | None = None,
) -> ExportSummary:
    """Write the dataset of people's decisions to `out` (see the module's docstring).

    `store`: the checkpoint store with the saved states (a store, or an SQLite file's
    path); `audit`: where the audit log is, when not in `store` (a store, a JSON Lines
    file or an SQLite store file, or the entries); `agent`: the agent the runs used,
    for the tool schemas; `test_fraction` of the threads (by a hash of the thread id with
    `seed`) go to test; `key`: the signing key of a signed SQLite store; `redactor`:
    the PII rules (default: every built-in kind).

    Raises `ConfigurationError` for a missing or corrupt store or audit log, or when no
    decision gives a row; `TamperedStateError` for a state changed since it was saved or
    decided on.
    """
    fraction, seed = check_split(test_fraction, seed)
    rules = redactor or Redactor()
    if not isinstance(store, str | Path) and key is not None:
        raise ConfigurationError("key= is for a store given by its path; a store checks its own")
    source = open_store(store, key=key) if isinstance(store, str | Path) else store
    entries, audit_from = read_audit(source if audit is None else audit)
    got = _collect(source, entries, agent=agent, rules=rules, seed=seed, fraction=fraction)
    kept, decisions, skipped, threads = got.kept, got.decisions, got.skipped, got.threads
    if not any(lines for by_split in kept.values() for lines in by_split.values()):
        raise ConfigurationError(_empty(entries, decisions, skipped))
    folder = Path(out).expanduser()
    counts: dict[str, dict[str, int]] = {
        kind: {s: len(kept[kind][s]) for s in SPLITS} for kind in KINDS
    }
    for kind in KINDS:
        for split in SPLITS:
            lines = kept[kind][split]
            _write(folder / split / f"{kind}.jsonl", "".join(line + "\n" for line in lines))
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, action), n in sorted(decisions.items()):
        by_kind.setdefault(kind, {})[action] = n
    left = {SKIPPED[k]: n for k, n in sorted(skipped.items()) if n}
    manifest = _manifest(
        source=source,
        audit_from=audit_from,
        entries=entries,
        counts=counts,
        threads=threads,
        decisions=by_kind,
        skipped=left,
        seed=seed,
        fraction=fraction,
        rules=rules,
        agent=agent,
    )
    _write(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return ExportSummary(
        out=folder,
        rows=counts,
        threads={s: threads[s] for s in SPLITS},
        decisions=by_kind,
        skipped=left,
        manifest=manifest,
    )


@dataclass
class _Collected:
    """The redacted rows (JSON lines) by kind and split, and what the decisions were."""

    kept: dict[str, dict[Split, list[str]]]
    decisions: Counter[tuple[str, str]]
    skipped: Counter[str]
    threads: Counter[str]


def _collect(
    source: ExportStore,
    entries: Sequence[AuditEntry],
    *,
    agent: Agent | None,
    rules: Redactor,
    seed: int,
    fraction: float,
) -> _Collected:
    """Every decided thread's rows, redacted with the thread's own scrubber, by split."""
    schemas, accepted = _schemas(agent) if agent is not None else (None, {})
    got = _Collected({k: {s: [] for s in SPLITS} for k in KINDS}, Counter(), Counter(), Counter())
    unsaved = [e for e in entries if e.action == "decision" and not e.thread_id]
    got.decisions.update(_kind_action(e) for e in unsaved)  # a run without a store
    if unsaved:
        got.skipped["no_state"] += len(unsaved)
    checked: set[str] = set()
    for thread_id, found in _by_thread(entries).items():
        state = load_state(source, thread_id)
        if state is None:
            made = ThreadRows()
            made.decisions.update(_kind_action(e) for e in found if e.action == "decision")
            made.skipped["no_state"] = sum(made.decisions.values())
        else:
            if agent is not None:
                _check_tools(thread_id, state.agent, accepted)
            made = thread_rows(thread_id, state, found, tools=schemas, redactor=rules)
        got.decisions.update(made.decisions)
        got.skipped.update(made.skipped)
        scrub = Scrubber(rules, state.vault if state is not None else None)
        split = split_of(thread_id, seed=seed, test_fraction=fraction)
        rows = {"sft": made.sft, "preferences": made.preferences, "transcripts": made.transcripts}
        for kind, found_rows in rows.items():
            got.kept[kind][split] += [_clean(scrub(row), rules, checked) for row in found_rows]
        got.threads[split] += any(rows.values())
    return got


def _clean(row: Any, rules: Redactor, checked: set[str]) -> str:
    """The redacted row as a JSON line, once nothing in it reads as PII any more."""
    found = leaks(row, rules, checked)
    if found:  # the redaction is idempotent: this means a bug, never a file with PII
        raise ConfigurationError(
            f"refusing to write a row that still holds PII ({', '.join(sorted(set(found)))}) "
            "after redaction"
        )
    return _dump(row)


def _manifest(
    *,
    source: ExportStore,
    audit_from: str,
    entries: Sequence[AuditEntry],
    counts: Mapping[str, Mapping[str, int]],
    threads: Counter[str],
    decisions: Mapping[str, Mapping[str, int]],
    skipped: Mapping[str, int],
    seed: int,
    fraction: float,
    rules: Redactor,
    agent: Agent | None,
) -> dict[str, Any]:
    files = {f"{s}/{kind}.jsonl": counts[kind][s] for s in SPLITS for kind in KINDS}
    newest = max((e.time for e in entries), default=None)
    return {
        "format": FORMAT,
        "created": _iso(time.time()),
        "sources": {
            "store": repr(source),
            "audit": audit_from,
            "audit_entries": len(entries),
            "newest_entry": None if newest is None else _iso(newest),
        },
        "files": files,
        "split": {
            "by": "thread",
            "rule": 'sha256("{seed}:{thread_id}"), first 8 bytes / 2**64 < test_fraction: test',
            "seed": seed,
            "test_fraction": fraction,
            "threads": {s: threads[s] for s in SPLITS},
        },
        "decisions": decisions,
        "left_out": dict(skipped),
        "redaction": {
            "rules": "agentsdk.safety.redaction",
            "kinds": sorted(rules.kinds),
            "patterns": [p.name for p in rules.patterns],
            "placeholders": "<KIND_N>, numbered per thread (the run's own vault first)",
            "applied_to": "every string, object key and PII-looking number of every row, "
            "then checked again before writing",
            "transcripts": "left out when their text holds PII: the audio would still speak it",
            "not_exported": ["reviewers' names", "the evidence shown to them", "media"],
        },
        "tools": (
            "the schemas of the agent given, checked against each thread's tool fingerprints"
            if agent is not None
            else "not included: the states keep only fingerprints; pass the agent "
            "(--agent FILE.py:NAME) to include the schemas"
        ),
        "formats": {
            "sft": "TRL conversational prompt-completion: prompt, completion (messages in "
            "the OpenAI chat format with tool_calls), tools, meta",
            "preferences": "TRL conversational preference: prompt, chosen, rejected, tools, meta",
            "transcripts": "audio (sha256 of the samples, file name), text, meta",
        },
    }

"""What becomes a row: threads of several runs, approvals for the rest of the run, and
decisions that say nothing of the model's call (real runs, scripted models)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from agentsdk import ToolCall
from agentsdk.learn import export_dataset
from agentsdk.learn.rows import SKIPPED
from agentsdk.run.checkpoints import SQLiteCheckpointStore
from tests.learn.test_export import (
    approve,
    approved,
    assistant,
    call,
    decided_run,
    edit,
    read,
    system,
    tool_message,
    user,
)


def test_each_run_of_a_thread_gets_the_prompt_its_call_was_made_at(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    for n in range(3):  # one conversation, three runs (as `agentsdk chat --db` makes them)
        decided_run(
            store,
            "chat",
            f"Pay ACME {n}",
            [ToolCall("pay", {"amount": n, "to": "ACNE"}, id=f"call_{n}"), "Paid."],
            [edit({"amount": n, "to": "ACME"})],
        )
    export_dataset(store=store, out=tmp_path / "out", test_fraction=0.0)
    rows = read(tmp_path / "out", "sft")
    turns: list[dict[str, object]] = []
    for n, row in enumerate(rows):
        assert row["prompt"] == [system(), *turns, user(f"Pay ACME {n}")]
        assert row["completion"] == [assistant(call(f"call_{n}", "pay", amount=n, to="ACME"))]
        shown = json.dumps({"amount": n, "to": "ACME"})
        turns += [
            user(f"Pay ACME {n}"),
            assistant(call(f"call_{n}", "pay", amount=n, to="ACNE")),
            tool_message(
                f"call_{n}",
                "pay",
                f"[a person changed the arguments to {shown}] paid {n}.00 to ACME",
            ),
            {"role": "assistant", "content": "Paid."},
        ]
    assert len(rows) == 3 and len(read(tmp_path / "out", "preferences")) == 3


def test_approve_for_the_rest_of_the_run_endorses_every_call_it_covers(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    decided_run(
        store,
        "t-always",
        "Pay ACME and Initech",
        [
            [
                ToolCall("pay", {"amount": 1.0, "to": "ACME"}, id="call_1"),
                ToolCall("pay", {"amount": 2.0, "to": "Initech"}, id="call_2"),
            ],
            "Paid both.",
        ],
        [lambda s: s.approve(s.pending[0], always=True)],
    )
    summary = export_dataset(store=store, out=tmp_path / "out", test_fraction=0.0)
    [row] = read(tmp_path / "out", "sft")
    assert row["completion"] == [
        assistant(
            call("call_1", "pay", amount=1.0, to="ACME"),
            call("call_2", "pay", amount=2.0, to="Initech"),
        )
    ]
    assert [c["decision"] for c in row["meta"]["calls"]] == ["approve_always", "approve"]
    assert summary.decisions == {"tool": {"approve": 1, "approve_always": 1}}


def test_a_decision_to_rerun_a_call_after_a_crash_gives_no_second_row(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    approved(store)
    entries = store.audit()
    [decision] = [e for e in entries if e.action == "decision"]
    again = dataclasses.replace(decision, id="again", time=decision.time + 60)
    summary = export_dataset(
        store=store, audit=[*entries, again], out=tmp_path / "out", test_fraction=0.0
    )
    assert summary.count("sft") == 1
    assert summary.skipped == {SKIPPED["rerun"]: 1}


def test_an_answered_call_leaves_its_turn_without_a_target(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    decided_run(
        store,
        "t-both",
        "Pay ACME and Initech",
        [
            [
                ToolCall("pay", {"amount": 1.0, "to": "ACME"}, id="call_1"),
                ToolCall("pay", {"amount": 2.0, "to": "Initech"}, id="call_2"),
            ],
            ToolCall("pay", {"amount": 3.0, "to": "ACME"}, id="call_3"),
            "Done.",
        ],
        [[approve, lambda s: s.respond(s.pending[0], "Initech was paid already")], approve],
    )
    summary = export_dataset(store=store, out=tmp_path / "out", test_fraction=0.0)
    [row] = read(tmp_path / "out", "sft")
    assert row["completion"] == [assistant(call("call_3", "pay", amount=3.0, to="ACME"))]
    assert summary.skipped == {SKIPPED["respond"]: 1, SKIPPED["beside_respond"]: 1}

"""`export_dataset`: real runs paused on a gated tool, decided by a person, resumed, then
exported; every row checked exactly (scripted models, an SQLite store in tmp_path)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from agentsdk import ConfigurationError, ScriptedModel, TamperedStateError, ToolCall
from agentsdk.agent import Agent
from agentsdk.learn import ExportSummary, export_dataset
from agentsdk.learn.split import split_of
from agentsdk.router import Router
from agentsdk.run.checkpoints import SQLiteCheckpointStore
from agentsdk.run.result import RunResult
from agentsdk.run.state import RunState
from agentsdk.tools import tool
from tests.fakes import FixedEncoder, clip

INSTRUCTIONS = "You pay bills for the user."
EMAIL, PHONE, IBAN = "jane.doe@example.com", "+1 415 555 0100", "DE89 3704 0044 0532 0130 00"
RAW = (EMAIL, PHONE, IBAN, "DE89370400440532013000", "4155550100", "jane.doe")


@tool(approval="always")
def pay(amount: float, to: str) -> str:
    """Pay an amount to someone.

    Args:
        amount: How much.
        to: Who gets it.
    """
    return f"paid {amount:.2f} to {to}"


@tool
def lookup(name: str) -> str:
    """Look a company up.

    Args:
        name: The company.
    """
    return f"{name} is a supplier"


PAY_SCHEMA = {
    "type": "function",
    "function": {
        "name": "pay",
        "description": "Pay an amount to someone.",
        "parameters": {
            "properties": {
                "amount": {"description": "How much.", "type": "number"},
                "to": {"description": "Who gets it.", "type": "string"},
            },
            "required": ["amount", "to"],
            "type": "object",
        },
    },
}

Decide = Callable[[RunState], RunState]


def approve(state: RunState) -> RunState:
    return state.approve(state.pending[0], actor="ana")


def edit(arguments: dict[str, Any]) -> Decide:
    return lambda state: state.edit(state.pending[0], arguments, actor="ana")


def reject(why: str) -> Decide:
    return lambda state: state.reject(state.pending[0], why, actor="ana")


def respond(answer: str) -> Decide:
    return lambda state: state.respond(state.pending[0], answer, actor="ana")


def correct(text: str) -> Decide:
    return lambda state: state.correct(state.pending[0], text, actor="ana")


def decided_run(
    store: SQLiteCheckpointStore,
    thread: str,
    inputs: Any,
    replies: Sequence[Any],
    decisions: Sequence[Decide | Sequence[Decide]],
    **options: Any,
) -> RunResult:
    """Run until the first pause, then for each pause load the thread from the store,
    decide (one or more decisions) and resume; the run must end finished."""
    agent = Agent(
        model=ScriptedModel(replies),
        tools=[pay, lookup],
        instructions=INSTRUCTIONS,
        checkpointer=store,
        **options,
    )
    result = agent.run(inputs, thread_id=thread)
    for step in decisions:
        assert result.paused, f"{thread}: expected a pause"
        state = store.load(thread)
        assert state is not None
        for decide in step if isinstance(step, Sequence) else [step]:
            state = decide(state)
        result = agent.resume(state)
    assert not result.paused and result.finish_reason == "stop", thread
    return result


def system() -> dict[str, Any]:
    return {"role": "system", "content": INSTRUCTIONS}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def call(call_id: str, tool_name: str, **arguments: Any) -> dict[str, Any]:
    function = {"name": tool_name, "arguments": arguments}
    return {"id": call_id, "type": "function", "function": function}


def assistant(*calls: dict[str, Any], content: str = "") -> dict[str, Any]:
    return {"role": "assistant", "content": content, "tool_calls": list(calls)}


def tool_message(call_id: str, name: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "content": content, "tool_call_id": call_id, "name": name}


# -- the threads, one per kind of decision ---------------------------------------------


def approved(store: SQLiteCheckpointStore) -> None:
    decided_run(
        store,
        "t-approve",
        f"Pay 15.50 to {IBAN}; mail {EMAIL} or call {PHONE}",
        [ToolCall("pay", {"amount": 15.5, "to": IBAN}, id="call_a1"), "Paid."],
        [approve],
    )


def edited(store: SQLiteCheckpointStore) -> None:
    decided_run(
        store,
        "t-edit",
        "Pay the ACME bill of 15.50",
        [ToolCall("pay", {"amount": 15.5, "to": "ACNE"}, id="call_e1"), "Paid."],
        [edit({"amount": 15.5, "to": "ACME"})],
    )


def rejected_then_approved(store: SQLiteCheckpointStore) -> None:
    decided_run(
        store,
        "t-retry",
        "Pay ACME what the receipt says: 15.50",
        [
            ToolCall("pay", {"amount": 150, "to": "ACME"}, id="call_r1"),
            ToolCall("pay", {"amount": 15.5, "to": "ACME"}, id="call_r2"),
            "Paid 15.50.",
        ],
        [reject("the total is 15.50"), approve],
    )


def rejected_alone(store: SQLiteCheckpointStore) -> None:
    decided_run(
        store,
        "t-reject",
        "Pay ACME 15.50",
        [ToolCall("pay", {"amount": 15.5, "to": "ACME"}, id="call_x1"), "I did not pay."],
        [reject("not today")],
    )


def responded(store: SQLiteCheckpointStore) -> None:
    decided_run(
        store,
        "t-respond",
        "Pay the ACME bill",
        [
            ToolCall("pay", {"amount": 15.5, "to": "ACME"}, id="call_s1"),
            ToolCall("pay", {"amount": 2.0, "to": "ACME"}, id="call_s2"),
            "Paid the late fee.",
        ],
        [respond("It was paid yesterday; only the late fee of 2.00 is due"), approve],
    )


def mixed_turn(store: SQLiteCheckpointStore) -> None:
    """One turn of three calls: one approved, one rejected, one that needs nobody."""
    decided_run(
        store,
        "t-mixed",
        "Pay ACME 15.50 and look them up",
        [
            [
                ToolCall("pay", {"amount": 15.5, "to": "ACME"}, id="call_m1"),
                ToolCall("pay", {"amount": 15.5, "to": "ACME Ltd"}, id="call_m2"),
                ToolCall("lookup", {"name": "ACME"}, id="call_m3"),
            ],
            "Paid once.",
        ],
        [[approve, lambda s: s.reject(s.pending[0], "a duplicate")]],
    )


def heard(store: SQLiteCheckpointStore) -> None:
    """A speech escalation corrected, and one (with a phone number) corrected too."""
    for thread, said, right in (
        ("t-speech", "pay acne fifteen", "pay ACME fifteen"),
        ("t-speech-pii", "call me at", f"call me at {PHONE}"),
    ):
        speech = FixedEncoder("speech", "audio", said, 0.2)
        decided_run(
            store,
            thread,
            ["Do what I say", clip()],
            ["All right."],
            [correct(right)],
            router=Router(audio=[speech]),
            escalation={"speech": 0.35},
        )


EVERYTHING = (
    approved,
    edited,
    rejected_then_approved,
    rejected_alone,
    responded,
    mixed_turn,
    heard,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one thread per kind of decision."""
    path = tmp_path_factory.mktemp("world") / "runs.db"
    store = SQLiteCheckpointStore(path)
    for make in EVERYTHING:
        make(store)
    return path


def read(folder: Path, name: str) -> list[dict[str, Any]]:
    """Rows of `name` ("sft"...) from both splits, train first."""
    rows = []
    for split in ("train", "test"):
        text = (folder / split / f"{name}.jsonl").read_text(encoding="utf-8")
        rows += [json.loads(line) for line in text.splitlines()]
    return rows


def by_thread(rows: list[dict[str, Any]], thread: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["meta"]["thread_id"] == thread]


@pytest.fixture(scope="module")
def exported(world: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportSummary]:
    out = tmp_path_factory.mktemp("out")
    return out, export_dataset(store=world, out=out, test_fraction=0.2, seed=0)


# -- every row, exactly ------------------------------------------------------------------


def test_an_approved_call_is_its_own_target_with_the_pii_redacted(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, _ = exported
    [row] = by_thread(read(out, "sft"), "t-approve")
    assert row == {
        "prompt": [
            system(),
            user("Pay 15.50 to <IBAN_1>; mail <EMAIL_1> or call <PHONE_1>"),
        ],
        "completion": [assistant(call("call_a1", "pay", amount=15.5, to="<IBAN_1>"))],
        "meta": {
            "thread_id": "t-approve",
            "run_id": row["meta"]["run_id"],
            "calls": [{"id": "call_a1", "tool": "pay", "decision": "approve"}],
        },
    }
    assert by_thread(read(out, "preferences"), "t-approve") == []  # nothing was changed


def test_an_edit_is_the_target_and_a_preference_over_the_proposed_call(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, _ = exported
    prompt = [system(), user("Pay the ACME bill of 15.50")]
    chosen = assistant(call("call_e1", "pay", amount=15.5, to="ACME"))
    [row] = by_thread(read(out, "sft"), "t-edit")
    assert row["prompt"] == prompt and row["completion"] == [chosen]
    assert row["meta"]["calls"] == [{"id": "call_e1", "tool": "pay", "decision": "edit"}]
    [pair] = by_thread(read(out, "preferences"), "t-edit")
    assert pair["prompt"] == prompt
    assert pair["chosen"] == [chosen]
    assert pair["rejected"] == [assistant(call("call_e1", "pay", amount=15.5, to="ACNE"))]
    assert pair["meta"]["chosen_from"] == "this turn" and pair["meta"]["reasons"] == []


def test_a_rejection_pairs_with_the_approved_call_of_the_next_turn(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, _ = exported
    first = [system(), user("Pay ACME what the receipt says: 15.50")]
    proposed = assistant(call("call_r1", "pay", amount=150, to="ACME"))
    retried = assistant(call("call_r2", "pay", amount=15.5, to="ACME"))
    [pair] = by_thread(read(out, "preferences"), "t-retry")
    assert pair["prompt"] == first
    assert pair["chosen"] == [retried] and pair["rejected"] == [proposed]
    assert pair["meta"]["chosen_from"] == "the next turn"
    assert pair["meta"]["reasons"] == ["the total is 15.50"]
    assert pair["meta"]["calls"] == [{"id": "call_r1", "tool": "pay", "decision": "reject"}]
    [row] = by_thread(read(out, "sft"), "t-retry")  # the approved retry, after the rejection
    assert row["prompt"] == [
        *first,
        proposed,
        tool_message("call_r1", "pay", "Error: a person rejected this call: the total is 15.50"),
    ]
    assert row["completion"] == [retried]


def test_a_rejection_without_an_approved_next_call_gives_nothing(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, summary = exported
    for kind in ("sft", "preferences"):
        assert by_thread(read(out, kind), "t-reject") == []
    assert summary.skipped["reject: the model's next turn has no call a person approved"] == 1


def test_a_respond_is_no_target_but_the_prompt_of_what_follows(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, summary = exported
    [row] = by_thread(read(out, "sft"), "t-respond")  # only the approved second call
    answer = "It was paid yesterday; only the late fee of 2.00 is due"
    assert row["prompt"] == [
        system(),
        user("Pay the ACME bill"),
        assistant(call("call_s1", "pay", amount=15.5, to="ACME")),
        tool_message("call_s1", "pay", f"A person answered in place of the tool: {answer}"),
    ]
    assert row["completion"] == [assistant(call("call_s2", "pay", amount=2.0, to="ACME"))]
    assert by_thread(read(out, "preferences"), "t-respond") == []
    key = "respond: the answer is the call's result in later prompts, not a target"
    assert summary.skipped[key] == 1


def test_a_turn_of_several_calls_keeps_what_people_allowed(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, _ = exported
    m1 = call("call_m1", "pay", amount=15.5, to="ACME")
    m2 = call("call_m2", "pay", amount=15.5, to="ACME Ltd")
    m3 = call("call_m3", "lookup", name="ACME")
    [row] = by_thread(read(out, "sft"), "t-mixed")
    assert row["completion"] == [assistant(m1, m3)]  # the rejected duplicate left out
    assert row["meta"]["calls"] == [
        {"id": "call_m1", "tool": "pay", "decision": "approve"},
        {"id": "call_m2", "tool": "pay", "decision": "reject"},
        {"id": "call_m3", "tool": "lookup", "decision": "none"},
    ]
    [pair] = by_thread(read(out, "preferences"), "t-mixed")
    assert pair["chosen"] == [assistant(m1, m3)] and pair["rejected"] == [assistant(m1, m2, m3)]
    assert pair["meta"]["reasons"] == ["a duplicate"]


def test_a_corrected_transcript_is_an_audio_text_pair_unless_it_holds_pii(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, summary = exported
    rows = read(out, "transcripts")
    assert rows == [
        {
            "audio": {"sha256": "part-speech", "name": None},
            "text": "pay ACME fifteen",
            "meta": {
                "thread_id": "t-speech",
                "run_id": rows[0]["meta"]["run_id"],
                "decision": "correct",
                "original_text": "pay acne fifteen",
                "original_confidence": 0.2,
                "encoder": "speech",
                "model": "fixed",
            },
        }
    ]
    assert summary.skipped["a transcript holding PII: its audio would still speak it"] == 1


def test_the_summary_and_the_manifest_count_what_was_written(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, summary = exported
    assert summary.count("sft") == 5 and summary.count("preferences") == 3
    assert summary.count("transcripts") == 1
    assert summary.decisions == {
        "perception": {"correct": 2},
        "tool": {"approve": 4, "edit": 1, "reject": 3, "respond": 1},
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "agentsdk.learn/1"
    assert manifest["files"] == {
        f"{split}/{kind}.jsonl": summary.count(kind, split)
        for split in ("train", "test")
        for kind in ("sft", "preferences", "transcripts")
    }
    assert manifest["split"]["seed"] == 0 and manifest["split"]["test_fraction"] == 0.2
    assert manifest["redaction"]["kinds"] == ["card", "email", "iban", "national_id", "phone"]
    assert manifest["decisions"] == summary.decisions
    assert manifest["sources"]["audit"].startswith("audit table of SQLiteCheckpointStore(")
    assert manifest["created"].endswith("+00:00")
    text = summary.render()
    assert "5 supervised pairs" in text and "3 preference pairs" in text


# -- redaction, split, determinism -------------------------------------------------------


def test_no_raw_email_phone_or_iban_leaves_in_any_file(
    exported: tuple[Path, ExportSummary],
) -> None:
    out, _ = exported
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) == 7
    for path in files:
        text = path.read_text(encoding="utf-8")
        for raw in RAW:
            assert raw not in text, f"{raw!r} in {path}"
    assert "ana" not in json.dumps(read(out, "sft"))  # reviewers' names stay home


def test_pii_in_numbers_and_keys_is_redacted_too(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    card = 4111111111111111
    decided_run(
        store,
        "t-card",
        f"Pay with card {card}",
        [ToolCall("pay", {"amount": card, "to": EMAIL}, id="call_c1"), "Paid."],
        [approve],
    )
    export_dataset(store=store, out=tmp_path / "out", test_fraction=0.0)
    [row] = read(tmp_path / "out", "sft")
    assert row["completion"][0]["tool_calls"][0]["function"]["arguments"] == {
        "amount": "<CARD_1>",
        "to": "<EMAIL_1>",
    }
    assert row["prompt"][1]["content"] == "Pay with card <CARD_1>"


def test_the_run_s_own_vault_gives_the_placeholders_the_model_read(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    result = decided_run(
        store,
        "t-vault",
        f"Mail the receipt to {EMAIL} and pay 15.50 to {IBAN}",
        [ToolCall("pay", {"amount": 15.5, "to": IBAN}, id="call_v1"), "Paid."],
        [approve],
        redact_pii="always",
    )
    vault = result.state.vault["placeholders"] if result.state else {}
    export_dataset(store=store, out=tmp_path / "out", test_fraction=0.0)
    [row] = read(tmp_path / "out", "sft")
    assert {v: k for k, v in vault.items()}[EMAIL] in row["prompt"][1]["content"]
    assert row["prompt"][1]["content"] == "Mail the receipt to <EMAIL_1> and pay 15.50 to <IBAN_1>"


def test_the_split_keeps_whole_threads_on_one_side(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    for n in range(10):
        decided_run(
            store,
            f"thread-{n}",
            f"Pay ACME {n}",
            [
                ToolCall("pay", {"amount": 999, "to": "ACME"}, id=f"call_{n}"),
                ToolCall("lookup", {"name": "ACME"}, id=f"call_{n}_lookup"),
                "Paid.",
            ],
            [edit({"amount": float(n), "to": "ACME"})],
        )
    summary = export_dataset(store=store, out=tmp_path / "out", test_fraction=0.5, seed=7)
    sides: dict[str, set[str]] = {}
    for split in ("train", "test"):
        for kind in ("sft", "preferences"):
            text = (tmp_path / "out" / split / f"{kind}.jsonl").read_text()
            for line in text.splitlines():
                thread = json.loads(line)["meta"]["thread_id"]
                sides.setdefault(thread, set()).add(split)
    assert len(sides) == 10 and all(len(found) == 1 for found in sides.values())
    for thread, [side] in sides.items():
        assert side == split_of(thread, seed=7, test_fraction=0.5)
    assert summary.threads["train"] > 0 and summary.threads["test"] > 0
    assert summary.threads["train"] + summary.threads["test"] == 10
    assert summary.count("sft") == 10 and summary.count("preferences") == 10


def test_the_same_seed_writes_the_same_files(world: Path, tmp_path: Path) -> None:
    first = export_dataset(store=world, out=tmp_path / "a", seed=3)
    second = export_dataset(store=world, out=tmp_path / "b", seed=3)
    for kind in ("sft", "preferences", "transcripts"):
        for split in ("train", "test"):
            name = f"{split}/{kind}.jsonl"
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert {**first.manifest, "created": ""} == {**second.manifest, "created": ""}


def test_another_seed_can_move_threads(world: Path, tmp_path: Path) -> None:
    threads = ["t-approve", "t-edit", "t-retry", "t-respond", "t-mixed", "t-speech"]
    sides = {
        seed: [split_of(t, seed=seed, test_fraction=0.5) for t in threads] for seed in range(4)
    }
    assert len({tuple(s) for s in sides.values()}) > 1


# -- the audit log from elsewhere, tools, errors ----------------------------------------


def test_an_audit_log_as_json_lines_gives_the_same_rows(world: Path, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    entries = SQLiteCheckpointStore(world).audit()
    log.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in entries))
    export_dataset(store=world, audit=log, out=tmp_path / "a")
    export_dataset(store=world, out=tmp_path / "b")
    for kind in ("sft", "preferences", "transcripts"):
        assert read(tmp_path / "a", kind) == read(tmp_path / "b", kind)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["sources"]["audit"] == f"JSON Lines file {log}"


def test_the_agent_s_tool_schemas_go_in_every_row(world: Path, tmp_path: Path) -> None:
    agent = Agent(model=ScriptedModel([]), tools=[pay, lookup])
    export_dataset(store=world, out=tmp_path / "out", agent=agent)
    rows = read(tmp_path / "out", "sft") + read(tmp_path / "out", "preferences")
    assert rows and all(row["tools"][0] == PAY_SCHEMA for row in rows)
    assert all([t["function"]["name"] for t in row["tools"]] == ["pay", "lookup"] for row in rows)


def test_an_agent_with_other_tools_is_refused(world: Path, tmp_path: Path) -> None:
    @tool(approval="always")
    def pay(amount: float, to: str, memo: str = "") -> str:  # another schema
        """Pay an amount to someone."""
        return "paid"

    agent = Agent(model=ScriptedModel([]), tools=[pay, lookup])
    with pytest.raises(ConfigurationError, match="ran with other tools than the agent given"):
        export_dataset(store=world, out=tmp_path / "out", agent=agent)


def test_a_missing_or_corrupt_source_is_a_configuration_error(world: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no checkpoint store at"):
        export_dataset(store=tmp_path / "nope.db", out=tmp_path / "out")
    assert not (tmp_path / "nope.db").exists()  # reading never creates a store
    (tmp_path / "junk.db").write_text("not a database")
    with pytest.raises(ConfigurationError, match="is not an SQLite database"):
        export_dataset(store=tmp_path / "junk.db", out=tmp_path / "out")
    with pytest.raises(ConfigurationError, match="no audit log at"):
        export_dataset(store=world, audit=tmp_path / "nope.jsonl", out=tmp_path / "out")
    log = tmp_path / "audit.jsonl"
    entry = SQLiteCheckpointStore(world).audit()[0]
    log.write_text(json.dumps(entry.to_dict()) + "\n{not json\n")
    with pytest.raises(ConfigurationError, match="line 2 is not JSON"):
        export_dataset(store=world, audit=log, out=tmp_path / "out")
    log.write_text(json.dumps({"action": "decision"}) + "\n")
    with pytest.raises(ConfigurationError, match="line 1 is not an audit entry"):
        export_dataset(store=world, audit=log, out=tmp_path / "out")
    with pytest.raises(ConfigurationError, match="test_fraction must be from 0 to 1"):
        export_dataset(store=world, out=tmp_path / "out", test_fraction=1.5)
    assert not (tmp_path / "out").exists()  # nothing written on an error


def _tamper(path: Path, thread: str, old: str, new: str) -> None:
    with sqlite3.connect(path) as db:
        [(seq, text)] = db.execute(
            "SELECT seq, state FROM checkpoints WHERE thread_id = ? ORDER BY seq DESC LIMIT 1",
            (thread,),
        ).fetchall()
        assert old in text
        db.execute(
            "UPDATE checkpoints SET state = ? WHERE thread_id = ? AND seq = ?",
            (text.replace(old, new), thread, seq),
        )


def test_a_state_changed_after_the_decision_is_refused(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    edited(store)
    _tamper(store.path, "t-edit", '"to": "ACNE"', '"to": "EVIL"')
    with pytest.raises(TamperedStateError, match="not the call the audit log says"):
        export_dataset(store=store, out=tmp_path / "out")


def test_a_signed_store_refuses_a_changed_state(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db", key="secret")
    approved(store)
    export_dataset(store=tmp_path / "runs.db", key="secret", out=tmp_path / "ok")
    _tamper(store.path, "t-approve", "Paid.", "Stolen.")
    with pytest.raises(TamperedStateError, match="thread 't-approve'"):
        export_dataset(store=tmp_path / "runs.db", key="secret", out=tmp_path / "out")


def test_no_decisions_is_an_error_that_says_so(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    agent = Agent(
        model=ScriptedModel([ToolCall("lookup", {"name": "ACME"}), "ACME is a supplier."]),
        tools=[lookup],
        checkpointer=store,
    )
    agent.run("Who is ACME?", thread_id="t-none")
    with pytest.raises(ConfigurationError, match="no decision by a person"):
        export_dataset(store=store, out=tmp_path / "out")
    with pytest.raises(ConfigurationError, match="audit log is empty"):
        export_dataset(store=store, audit=[], out=tmp_path / "out")


def test_decisions_that_give_no_row_are_an_error_that_says_which(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    rejected_alone(store)
    with pytest.raises(ConfigurationError, match=r"no rows to export: the decisions \(tool "):
        export_dataset(store=store, out=tmp_path / "out")


def test_a_deleted_thread_is_counted_not_exported(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    approved(store)
    edited(store)
    store.delete("t-edit")  # its audit entries stay
    summary = export_dataset(store=store, out=tmp_path / "out", test_fraction=0.0)
    assert summary.count("sft") == 1
    assert summary.skipped["the thread has no saved state (deleted, or not checkpointed)"] == 1


def test_decisions_of_runs_without_a_store_are_counted_not_exported(tmp_path: Path) -> None:
    agent = Agent(
        model=ScriptedModel([ToolCall("pay", {"amount": 1.0, "to": "ACME"}), "Paid."]),
        tools=[pay],
    )
    paused = agent.run("Pay ACME 1")
    assert paused.state is not None
    done = agent.resume(paused.state.approve(paused.interruptions[0]))
    assert done.state is not None and done.state.thread_id is None
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    approved(store)
    summary = export_dataset(
        store=store, audit=[*store.audit(), *done.state.audit], out=tmp_path / "out"
    )
    assert summary.count("sft") == 1 and summary.decisions == {"tool": {"approve": 2}}
    assert summary.skipped == {"the thread has no saved state (deleted, or not checkpointed)": 1}

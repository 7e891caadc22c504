"""The SQLite checkpoint store, and resuming in a new process after SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from agentsdk import (
    ConfigurationError,
    StaleStateError,
    TamperedStateError,
    ThreadBusyError,
)
from agentsdk.hitl.audit import AuditEntry
from agentsdk.run.checkpoints import CheckpointStore, SQLiteCheckpointStore, new_owner
from agentsdk.run.state import RunState

ROOT = Path(__file__).resolve().parents[2]


def test_save_load_history_threads_and_audit(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "sub" / "runs.db")
    assert isinstance(store, CheckpointStore)
    assert store.load("t1") is None
    state = RunState(run_id="r1", thread_id="t1")
    store.save(state)
    state.phase, state.step = "think", 1
    state.audit.append(AuditEntry(action="tool_executed", actor="agent", what={"n": 1}))
    store.save(state)
    store.save(state)  # the same audit entry is written once
    loaded = store.load("t1")
    assert loaded is not None and (loaded.phase, loaded.step) == ("think", 1)
    assert [(c.seq, c.phase) for c in store.history("t1")] == [
        (1, "confirm"),
        (2, "think"),
        (3, "think"),
    ]
    store.save(RunState(run_id="r2", thread_id="t0"))
    assert store.threads() == ["t0", "t1"]
    assert [e.what for e in store.audit("t1")] == [{"n": 1}]
    assert store.audit("t0") == []
    store.delete("t1")
    assert store.load("t1") is None and store.threads() == ["t0"]
    assert len(store.audit()) == 1  # the log is append-only


def test_keep_bounds_the_history(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db", keep=2)
    state = RunState(run_id="r", thread_id="t")
    for step in range(5):
        state.step = step
        store.save(state)
    assert [c.step for c in store.history("t")] == [3, 4]


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="outlive the process"):
        SQLiteCheckpointStore(":memory:")
    with pytest.raises(ConfigurationError, match="keep"):
        SQLiteCheckpointStore(tmp_path / "a.db", keep=0)
    with pytest.raises(ConfigurationError, match="thread_id"):
        SQLiteCheckpointStore(tmp_path / "a.db").save(RunState(run_id="r"))


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")

    def write(thread: str) -> None:
        state = RunState(run_id=thread, thread_id=thread)
        for step in range(20):
            state.step = step
            store.save(state)

    workers = [threading.Thread(target=write, args=(f"t{i}",)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(len(store.history(f"t{i}")) == 20 for i in range(4))


def test_save_goes_on_only_from_the_newest_checkpoint(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    store.save(RunState(run_id="r", thread_id="t"))
    first, second = store.load("t"), store.load("t")
    assert first is not None and second is not None and first.version == second.version == 1
    first.step = 1
    store.save(first)
    assert first.version == 2
    second.step = 7
    with pytest.raises(StaleStateError, match="moved on"):
        store.save(second)
    assert second.version == 1  # unchanged by the refused save
    newest = store.load("t")
    assert newest is not None and newest.step == 1 and len(store.history("t")) == 2


def test_a_thread_is_held_by_one_owner_at_a_time(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db", lease_seconds=1.5)
    ana, bob = new_owner(), new_owner()
    expires = store.claim("t", ana)
    assert store.claim("t", ana) >= expires  # the same owner extends it
    with pytest.raises(ThreadBusyError, match="is being run by") as busy:
        store.claim("t", bob)
    assert busy.value.holder == ana and busy.value.until is not None
    store.claim("other", bob)  # another thread is free
    store.release("t", ana)
    store.claim("t", bob)
    time.sleep(1.6)  # bob's lease ran out without being renewed
    store.claim("t", ana)
    store.release("t", bob)  # not bob's any more: ana keeps it
    with pytest.raises(ThreadBusyError):
        store.claim("t", bob)


def test_a_claim_with_a_version_takes_the_thread_only_at_that_checkpoint(
    tmp_path: Path,
) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    store.save(RunState(run_id="r", thread_id="t"))
    with pytest.raises(StaleStateError, match="moved on"):
        store.claim("t", "ana", version=0)
    store.claim("t", "bob")  # the refused claim took nothing
    store.release("t", "bob")
    store.claim("t", "ana", version=1)
    store.claim("new", "ana", version=0)  # a thread with no checkpoint is at 0


def test_a_lease_of_a_process_that_died_on_this_host_is_not_waited_out(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db", lease_seconds=600)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}:x"
    store.claim("t", dead)
    store.claim("t", new_owner())  # taken over at once
    elsewhere = f"another-host:{os.getpid() + 1}:x"
    store.claim("u", elsewhere)
    with pytest.raises(ThreadBusyError):
        store.claim("u", new_owner())


def test_a_signed_store_refuses_a_state_changed_in_the_database(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = SQLiteCheckpointStore(path, key="s3cret")
    state = RunState(run_id="r", thread_id="t", approved_tools=[])
    store.save(state)
    loaded = store.load("t")
    assert loaded is not None and loaded.run_id == "r"
    with sqlite3.connect(path) as db:
        (text,) = db.execute("SELECT state FROM checkpoints").fetchone()
        forged = text.replace('"approved_tools": []', '"approved_tools": ["wipe"]')
        assert forged != text
        db.execute("UPDATE checkpoints SET state = ?", (forged,))
    with pytest.raises(TamperedStateError, match="signature"):
        store.load("t")
    with pytest.raises(TamperedStateError):
        SQLiteCheckpointStore(path, key="another key").load("t")
    unsigned = SQLiteCheckpointStore(tmp_path / "plain.db")
    unsigned.save(RunState(run_id="r", thread_id="t"))
    with pytest.raises(TamperedStateError, match="not signed"):
        SQLiteCheckpointStore(tmp_path / "plain.db", key="s3cret").load("t")
    with pytest.raises(ConfigurationError, match="empty"):
        SQLiteCheckpointStore(path, key="")


# -- a process killed while waiting for a person --------------------------------------

WORKER = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from agentsdk import Agent, ScriptedModel, ToolCall, tool
    from agentsdk.run.checkpoints import SQLiteCheckpointStore

    mode, db, ledger = sys.argv[1], sys.argv[2], Path(sys.argv[3])

    @tool(approval="always")
    def pay(amount: float, to: str) -> str:
        '''Pay an amount to someone.

        Args:
            amount: How much.
            to: Who gets it.
        '''
        with ledger.open("a") as out:
            out.write(f"{amount} {to}\\n")
        if mode.startswith("race"):
            time.sleep(1.0)  # a slow payment: the other process tries meanwhile
        if mode == "die-while-paying":
            os.kill(os.getpid(), signal.SIGKILL)
        return f"paid {amount} to {to}"

    store = SQLiteCheckpointStore(db)
    if mode == "start":
        model = ScriptedModel([ToolCall("pay", {"amount": 15.5, "to": "ACME"}, id="call_1")])
        result = Agent(model=model, tools=[pay], checkpointer=store).run(
            "Pay ACME", thread_id="invoice-42"
        )
        print("PAUSED", result.interruptions[0].id, flush=True)
        time.sleep(600)  # waits for a person, until killed
    else:
        agent = Agent(model=ScriptedModel(["Paid."]), tools=[pay], checkpointer=store)
        state = store.load("invoice-42")
        if mode.startswith("race"):  # two processes decide on the same pause at once
            Path(db).with_name(f"ready-{os.getpid()}").touch()
            go = Path(db).with_name("go")
            while not go.exists():
                time.sleep(0.01)
            decide = state.reject if mode == "race-reject" else state.approve
            decide(state.interruptions[0], actor=mode)
            from agentsdk import ThreadBusyError
            try:
                result = agent.resume(state)
            except ThreadBusyError as exc:
                print("BUSY", type(exc).__name__, flush=True)
                sys.exit(0)
            print("FINISHED", result.finish_reason, flush=True)
            sys.exit(0)
        if mode == "respond":  # after a crash mid-call, the run asks before paying again
            asked = agent.resume(state)
            print("ASKED", asked.interruptions[0].evidence.reason, flush=True)
            state = asked.state
            state.respond(state.interruptions[0], "it was paid", actor="ana")
        elif state.interruptions:
            state.approve(state.interruptions[0], actor="ana")
        result = agent.resume(state)
        print("FINISHED", result.finish_reason, result.text, flush=True)
    """
)


def _worker(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(tmp_path / "runs.db"), str(tmp_path / "ledger")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _paused(tmp_path: Path) -> str:
    """Start a run in a process, wait for its pause, SIGKILL it; the interruption id."""
    first = _worker(tmp_path, "start")
    assert first.stdout is not None
    line = first.stdout.readline()
    assert line.startswith("PAUSED"), first.stderr.read() if first.stderr else line
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    return line.split()[1]


def test_a_run_killed_while_paused_resumes_in_a_new_process(tmp_path: Path) -> None:
    interruption = _paused(tmp_path)
    ledger = tmp_path / "ledger"
    assert not ledger.exists()  # nothing was paid without approval
    second = _worker(tmp_path, "resume")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out.strip() == "FINISHED stop Paid."
    assert ledger.read_text() == "15.5 ACME\n"  # exactly once
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    audit = store.audit("invoice-42")
    assert [(e.action, e.actor) for e in audit] == [
        ("decision", "ana"),
        ("tool_started", "agent"),
        ("tool_executed", "agent"),
    ]
    assert audit[0].what["interruption"] == interruption
    assert audit[0].evidence is not None and audit[0].evidence["tool"] == "pay"
    final = store.load("invoice-42")
    assert final is not None and final.phase == "finished"
    # resuming a finished run is refused; the tool does not run again
    third = _worker(tmp_path, "resume")
    _, err = third.communicate(timeout=120)
    assert third.returncode != 0 and "nothing to resume" in err
    assert ledger.read_text() == "15.5 ACME\n"


def test_a_crash_in_the_middle_of_a_tool_never_runs_it_twice(tmp_path: Path) -> None:
    _paused(tmp_path)
    ledger = tmp_path / "ledger"
    dying = _worker(tmp_path, "die-while-paying")  # approves, pays, is killed mid-call
    dying.communicate(timeout=120)
    assert dying.returncode == -signal.SIGKILL
    assert ledger.read_text() == "15.5 ACME\n"
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    saved = store.load("invoice-42")
    assert saved is not None and saved.running == ["call_1"]
    # the log shows the call started and never finished
    actions = [e.action for e in store.audit("invoice-42")]
    assert actions == ["decision", "tool_started"]
    # the next process does not pay again: it asks a person, who says it was paid
    last = _worker(tmp_path, "respond")
    out, err = last.communicate(timeout=120)
    assert last.returncode == 0, err
    asked, finished = out.strip().splitlines()
    assert asked.startswith("ASKED the process stopped while this call was running")
    assert finished == "FINISHED stop Paid."
    assert ledger.read_text() == "15.5 ACME\n"


@pytest.mark.parametrize("other", ["race-approve", "race-reject"])
def test_two_processes_deciding_on_one_pause_apply_exactly_one_decision(
    tmp_path: Path, other: str
) -> None:
    _paused(tmp_path)
    racers = [_worker(tmp_path, "race-approve"), _worker(tmp_path, other)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < 2:  # both loaded the paused state
        assert time.monotonic() < deadline, "the racers did not start"
        time.sleep(0.05)
    (tmp_path / "go").touch()
    outs = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        outs.append(out.strip())
    assert sorted(o.split()[0] for o in outs) == ["BUSY", "FINISHED"], outs
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    decisions = [e for e in store.audit("invoice-42") if e.action == "decision"]
    assert len(decisions) == 1  # one decision applied and logged, the other refused whole
    ledger = tmp_path / "ledger"
    paid = ledger.read_text() if ledger.exists() else ""
    assert paid in ("", "15.5 ACME\n")  # paid at most once
    assert (paid != "") == (decisions[0].what["action"] == "approve")

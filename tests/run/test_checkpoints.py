"""The checkpoint-store contract, run against every store: SQLite, and PostgreSQL on a
real server (tests/postgres_server.py); and resuming in a new process after SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from agentsdk.run.postgres import PostgresCheckpointStore

pytest_plugins = ["tests.postgres_server"]

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("sqlite", "postgres")


@dataclass
class StoreFactory:
    """Makes the stores of one test, all over the same data: a SQLite file in the test's
    folder, or a database of the test's own on the session's PostgreSQL server."""

    kind: str
    where: str
    """The SQLite file, or the PostgreSQL DSN."""
    tmp: Path

    def __call__(
        self, name: str = "runs", **options: Any
    ) -> SQLiteCheckpointStore | PostgresCheckpointStore:
        """A store over the data called `name` (another name: other data, same place)."""
        if self.kind == "sqlite":
            return SQLiteCheckpointStore(self.tmp / f"{name}.db", **options)
        from agentsdk.run.postgres import PostgresCheckpointStore

        if name != "runs":
            options.setdefault("table_prefix", f"{name}_")
        return PostgresCheckpointStore(self.where, **options)

    @property
    def spec(self) -> str:
        """What a child process needs to make the default store (`make_store`)."""
        return json.dumps({"kind": self.kind, "where": self.where})

    def rewrite_states(self, change: Callable[[str], str]) -> int:
        """Change the saved states of the default store behind its back; how many changed."""
        changed = 0
        if self.kind == "sqlite":
            with sqlite3.connect(self.where) as db:
                for seq, thread, text in db.execute(
                    "SELECT seq, thread_id, state FROM checkpoints"
                ):
                    if change(text) != text:
                        changed += 1
                        db.execute(
                            "UPDATE checkpoints SET state = ? WHERE seq = ? AND thread_id = ?",
                            (change(text), seq, thread),
                        )
            return changed
        import psycopg

        with psycopg.connect(self.where) as pg:
            rows = pg.execute("SELECT seq, thread_id, state FROM agentsdk_checkpoints").fetchall()
            for seq, thread, text in rows:
                if change(text) != text:
                    changed += 1
                    pg.execute(
                        "UPDATE agentsdk_checkpoints SET state = %s "
                        "WHERE seq = %s AND thread_id = %s",
                        (change(text), seq, thread),
                    )
        return changed


MAKE_STORE = """
import json
from agentsdk.run.checkpoints import SQLiteCheckpointStore

def make_store(spec):
    spec = json.loads(spec)
    if spec["kind"] == "sqlite":
        return SQLiteCheckpointStore(spec["where"])
    from agentsdk.run.postgres import PostgresCheckpointStore
    return PostgresCheckpointStore(spec["where"])
"""
"""How a child process makes the store of `StoreFactory.spec`."""


@pytest.fixture(params=KINDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    if request.param == "sqlite":
        return StoreFactory("sqlite", str(tmp_path / "runs.db"), tmp_path)
    return StoreFactory("postgres", request.getfixturevalue("postgres_database"), tmp_path)


def _child(tmp_path: Path, code: str, *args: str) -> subprocess.Popen[str]:
    """A Python process running `code` (after `MAKE_STORE`) with `args` in sys.argv."""
    script = tmp_path / f"child-{hashlib.sha256(code.encode()).hexdigest()[:12]}.py"
    if not script.exists():  # written once: rewriting it could empty it under a starting child
        script.write_text(MAKE_STORE + code)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_save_load_history_threads_and_audit(store_factory: StoreFactory) -> None:
    store = store_factory()
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
    store.save(RunState(run_id="r3", thread_id="T"))
    assert store.threads() == ["T", "t0", "t1"]  # by code point, as Python sorts
    assert [e.what for e in store.audit("t1")] == [{"n": 1}]
    assert store.audit("t0") == []
    store.delete("t1")
    assert store.load("t1") is None and store.threads() == ["T", "t0"]
    assert len(store.audit()) == 1  # the log is append-only


def test_keep_bounds_the_history(store_factory: StoreFactory) -> None:
    store = store_factory(keep=2)
    state = RunState(run_id="r", thread_id="t")
    for step in range(5):
        state.step = step
        store.save(state)
    assert [c.step for c in store.history("t")] == [3, 4]


def test_bad_settings_are_refused(store_factory: StoreFactory) -> None:
    with pytest.raises(ConfigurationError, match="keep"):
        store_factory(keep=0)
    with pytest.raises(ConfigurationError, match="empty"):
        store_factory(key="")
    with pytest.raises(ConfigurationError, match="lease_seconds"):
        store_factory(lease_seconds=0)
    with pytest.raises(ConfigurationError, match="thread_id"):
        store_factory().save(RunState(run_id="r"))


def test_sqlite_needs_a_file_and_makes_its_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="outlive the process"):
        SQLiteCheckpointStore(":memory:")
    SQLiteCheckpointStore(tmp_path / "sub" / "runs.db").save(RunState(run_id="r", thread_id="t"))
    assert (tmp_path / "sub" / "runs.db").is_file()


def test_concurrent_writers_lose_nothing(store_factory: StoreFactory) -> None:
    store = store_factory()

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


def test_save_goes_on_only_from_the_newest_checkpoint(store_factory: StoreFactory) -> None:
    store = store_factory()
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


SAVER = """
import sys, time
from pathlib import Path
from agentsdk import StaleStateError

store = make_store(sys.argv[1])
here = Path(sys.argv[2])
state = store.load("t")
state.step = int(sys.argv[3])
(here / f"ready-{sys.argv[3]}").touch()
while not (here / "go").exists():
    time.sleep(0.005)
try:
    store.save(state)
except StaleStateError:
    print("STALE", flush=True)
else:
    print("SAVED", state.version, flush=True)
"""


def test_processes_saving_from_one_checkpoint_at_once_exactly_one_wins(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    store.save(RunState(run_id="r", thread_id="t"))
    here = store_factory.tmp
    savers = [_child(here, SAVER, store_factory.spec, str(here), str(i)) for i in range(4)]
    deadline = time.monotonic() + 120
    while len(list(here.glob("ready-*"))) < len(savers):  # each loaded checkpoint 1
        assert time.monotonic() < deadline, "the savers did not start"
        time.sleep(0.02)
    (here / "go").touch()
    outs = []
    for saver in savers:
        out, err = saver.communicate(timeout=120)
        assert saver.returncode == 0, err
        outs.append(out.strip())
    assert sorted(outs) == ["SAVED 2", "STALE", "STALE", "STALE"], outs
    assert [c.seq for c in store.history("t")] == [1, 2]
    newest = store.load("t")
    assert newest is not None and newest.version == 2


def test_a_thread_is_held_by_one_owner_at_a_time(store_factory: StoreFactory) -> None:
    store = store_factory(lease_seconds=1.5)
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
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    store.save(RunState(run_id="r", thread_id="t"))
    with pytest.raises(StaleStateError, match="moved on"):
        store.claim("t", "ana", version=0)
    store.claim("t", "bob")  # the refused claim took nothing
    store.release("t", "bob")
    store.claim("t", "ana", version=1)
    store.claim("new", "ana", version=0)  # a thread with no checkpoint is at 0


def test_a_lease_of_a_process_that_died_on_this_host_is_not_waited_out(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(lease_seconds=600)
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


def test_a_signed_store_refuses_a_state_changed_in_the_database(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(key="s3cret")
    state = RunState(run_id="r", thread_id="t", approved_tools=[])
    store.save(state)
    loaded = store.load("t")
    assert loaded is not None and loaded.run_id == "r"
    forged = store_factory.rewrite_states(
        lambda text: text.replace('"approved_tools": []', '"approved_tools": ["wipe"]')
    )
    assert forged == 1
    with pytest.raises(TamperedStateError, match="signature"):
        store.load("t")
    with pytest.raises(TamperedStateError):
        store_factory(key="another key").load("t")
    store_factory("plain").save(RunState(run_id="r", thread_id="t"))
    with pytest.raises(TamperedStateError, match="not signed"):
        store_factory("plain", key="s3cret").load("t")


# -- a process killed while waiting for a person --------------------------------------

WORKER = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from agentsdk import Agent, ScriptedModel, ToolCall, tool

    mode, spec, ledger = sys.argv[1], sys.argv[2], Path(sys.argv[3])

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

    store = make_store(spec)
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
            ledger.with_name(f"ready-{os.getpid()}").touch()
            go = ledger.with_name("go")
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


def _worker(stores: StoreFactory, mode: str) -> subprocess.Popen[str]:
    return _child(stores.tmp, WORKER, mode, stores.spec, str(stores.tmp / "ledger"))


def _paused(stores: StoreFactory) -> str:
    """Start a run in a process, wait for its pause, SIGKILL it; the interruption id."""
    first = _worker(stores, "start")
    assert first.stdout is not None
    line = first.stdout.readline()
    assert line.startswith("PAUSED"), first.stderr.read() if first.stderr else line
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    return line.split()[1]


def test_a_run_killed_while_paused_resumes_in_a_new_process(store_factory: StoreFactory) -> None:
    interruption = _paused(store_factory)
    ledger = store_factory.tmp / "ledger"
    assert not ledger.exists()  # nothing was paid without approval
    second = _worker(store_factory, "resume")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out.strip() == "FINISHED stop Paid."
    assert ledger.read_text() == "15.5 ACME\n"  # exactly once
    store = store_factory()
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
    third = _worker(store_factory, "resume")
    _, err = third.communicate(timeout=120)
    assert third.returncode != 0 and "nothing to resume" in err
    assert ledger.read_text() == "15.5 ACME\n"


def test_a_crash_in_the_middle_of_a_tool_never_runs_it_twice(store_factory: StoreFactory) -> None:
    _paused(store_factory)
    ledger = store_factory.tmp / "ledger"
    dying = _worker(store_factory, "die-while-paying")  # approves, pays, is killed mid-call
    dying.communicate(timeout=120)
    assert dying.returncode == -signal.SIGKILL
    assert ledger.read_text() == "15.5 ACME\n"
    store = store_factory()
    saved = store.load("invoice-42")
    assert saved is not None and saved.running == ["call_1"]
    # the log shows the call started and never finished
    actions = [e.action for e in store.audit("invoice-42")]
    assert actions == ["decision", "tool_started"]
    # the next process does not pay again: it asks a person, who says it was paid
    last = _worker(store_factory, "respond")
    out, err = last.communicate(timeout=120)
    assert last.returncode == 0, err
    asked, finished = out.strip().splitlines()
    assert asked.startswith("ASKED the process stopped while this call was running")
    assert finished == "FINISHED stop Paid."
    assert ledger.read_text() == "15.5 ACME\n"


@pytest.mark.parametrize("other", ["race-approve", "race-reject"])
def test_two_processes_deciding_on_one_pause_apply_exactly_one_decision(
    store_factory: StoreFactory, other: str
) -> None:
    _paused(store_factory)
    here = store_factory.tmp
    racers = [_worker(store_factory, "race-approve"), _worker(store_factory, other)]
    deadline = time.monotonic() + 120
    while len(list(here.glob("ready-*"))) < 2:  # both loaded the paused state
        assert time.monotonic() < deadline, "the racers did not start"
        time.sleep(0.05)
    (here / "go").touch()
    outs = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        outs.append(out.strip())
    assert sorted(o.split()[0] for o in outs) == ["BUSY", "FINISHED"], outs
    store = store_factory()
    decisions = [e for e in store.audit("invoice-42") if e.action == "decision"]
    assert len(decisions) == 1  # one decision applied and logged, the other refused whole
    ledger = here / "ledger"
    paid = ledger.read_text() if ledger.exists() else ""
    assert paid in ("", "15.5 ACME\n")  # paid at most once
    assert (paid != "") == (decisions[0].what["action"] == "approve")

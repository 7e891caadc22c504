"""Where paused runs wait: a checkpoint store keyed by thread id.

`SQLiteCheckpointStore` keeps every checkpoint of a thread (one row per step, the
newest wins on `load`) and an append-only audit table. Each save is one transaction on
a fresh connection in WAL mode, so a process killed at any moment leaves the last
committed checkpoint intact, and another process (or thread) can resume from it.

>>> store = SQLiteCheckpointStore("runs.db")
>>> agent = Agent(kit=kit, tools=[pay], checkpointer=store)
>>> agent.run([...], thread_id="invoice-42")        # pauses: saved
>>> # ... later, maybe in another process:
>>> state = store.load("invoice-42")
>>> agent.resume(state.approve(state.interruptions[0]))

One run at a time per thread. A run holds a lease on its thread while it works (`claim`,
renewed while it runs, `release` when it stops); a second process that tries to run or
resume the thread meanwhile gets `ThreadBusyError` before anything happens. And `save`
is a compare-and-swap on the state's `version`: a state goes on only from the thread's
newest checkpoint, so two copies of one pause can never both run their tools (the
second gets `StaleStateError`). A lease left by a crashed process expires after
`lease_seconds`.

With `key=...` every state is signed when saved and checked when loaded: a state
changed in the database is refused (`TamperedStateError`).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from agentsdk.errors import ConfigurationError, StaleStateError, ThreadBusyError
from agentsdk.hitl.audit import AuditEntry
from agentsdk.run.state import RunState

__all__ = ["Checkpoint", "CheckpointStore", "SQLiteCheckpointStore", "new_owner"]


@runtime_checkable
class CheckpointStore(Protocol):
    """Saves run states by thread id; the loop calls `save` after every step.

    The contract, which every store keeps (the tests of `SQLiteCheckpointStore` are its
    executable form): `save` appends only when the thread's newest checkpoint is still
    `state.version` (0: none), then sets `state.version` to the new checkpoint's, and
    otherwise raises `StaleStateError` and writes nothing; `claim` gives one owner at a
    time the thread until the returned expiry (Unix time), again to the same owner
    extends it, and to another owner raises `ThreadBusyError` while it lasts; with a
    `version`, it also raises `StaleStateError` (and takes nothing) when the thread's
    newest checkpoint is not that one.
    """

    def save(self, state: RunState) -> None: ...

    def load(self, thread_id: str) -> RunState | None:
        """The newest state of the thread, or None when there is none."""
        ...

    def claim(self, thread_id: str, owner: str, *, version: int | None = None) -> float:
        """Hold the thread for `owner`; returns when the lease expires (Unix time)."""
        ...

    def release(self, thread_id: str, owner: str) -> None:
        """Give the thread up, if `owner` holds it."""
        ...


def new_owner() -> str:
    """A lease owner naming this host and process, unique per call."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive(owner: str) -> bool:
    """False only when `owner` is a process of this host that no longer exists (killed
    while it held a thread): its lease need not be waited out. Owners elsewhere, or not
    made by `new_owner`, count as alive until their lease ends."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def _refuse_if_held(thread_id: str, owner: str, holder: str, until: float, now: float) -> None:
    """`ThreadBusyError` when `holder`, another owner and alive, holds the thread until
    `until` (Unix time; `now` is the time the store compares it with)."""
    if holder != owner and until > now and _alive(holder):
        raise ThreadBusyError(
            f"thread {thread_id!r} is being run by {holder} (its lease ends in "
            f"{until - now:.0f} s): wait for that run, then load the thread again",
            holder=holder,
            until=until,
        )


def _check_newest(thread_id: str, last: int, version: int) -> int:
    """`last`, the thread's newest checkpoint, which must be `version` (else
    `StaleStateError`)."""
    if last != version:
        raise StaleStateError(
            f"thread {thread_id!r} moved on (checkpoint {last}) since this state was taken "
            f"(checkpoint {version}): another run went on from it; load the thread again"
        )
    return int(last)


def _newest_at(db: sqlite3.Connection, thread_id: str, version: int) -> int:
    """The thread's newest checkpoint, which must be `version` (else `StaleStateError`)."""
    (last,) = db.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM checkpoints WHERE thread_id = ?", (thread_id,)
    ).fetchone()
    return _check_newest(thread_id, last, version)


def _check_settings(keep: int | None, key: str | bytes | None, lease_seconds: float) -> None:
    """Refuse the settings every store shares when they cannot work."""
    if keep is not None and keep < 1:
        raise ConfigurationError("keep must be at least 1")
    if key is not None and not key:
        raise ConfigurationError("a signing key must not be empty")
    if not lease_seconds > 0:
        raise ConfigurationError("lease_seconds must be positive")


@contextmanager
def _saving(state: RunState) -> Iterator[tuple[str, int]]:
    """Around one save: the state must have a thread, is stamped `updated` now; yields
    the thread and the version the state was loaded at, which it gets back if the save
    fails."""
    if not state.thread_id:
        raise ConfigurationError("a state needs a thread_id to be checkpointed")
    state.updated = time.time()
    loaded_at = state.version
    try:
        yield state.thread_id, loaded_at
    except BaseException:
        state.version = loaded_at
        raise


def _checkpoint_row(
    thread: str, seq: int, state: RunState, key: str | bytes | None
) -> tuple[object, ...]:
    """The state as a checkpoint row: thread, seq, run, phase, step, saved, signed JSON."""
    return (
        thread,
        seq,
        state.run_id,
        state.phase,
        state.step,
        state.updated,
        state.to_json(key=key),
    )


def _audit_rows(state: RunState) -> list[tuple[object, ...]]:
    """The state's audit entries as rows: id, thread, run, time, actor, action, JSON."""
    return [
        (
            e.id,
            state.thread_id,
            e.run_id,
            e.time,
            e.actor,
            e.action,
            json.dumps(e.to_dict(), ensure_ascii=False),
        )
        for e in state.audit
    ]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One saved step of a thread."""

    thread_id: str
    seq: int
    run_id: str
    phase: str
    step: int
    saved: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    thread_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    step INTEGER NOT NULL,
    saved REAL NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)
);
CREATE TABLE IF NOT EXISTS audit (
    id TEXT PRIMARY KEY,
    thread_id TEXT,
    run_id TEXT NOT NULL,
    time REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_thread ON audit (thread_id, time);
CREATE TABLE IF NOT EXISTS leases (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires REAL NOT NULL
);
"""


class SQLiteCheckpointStore:
    """Run states and the audit log in one SQLite file (`":memory:"` is refused: a
    checkpoint must outlive the process)."""

    def __init__(
        self,
        path: str | Path,
        *,
        keep: int | None = None,
        key: str | bytes | None = None,
        lease_seconds: float = 60.0,
    ) -> None:
        """`keep`: how many checkpoints per thread to keep (None: all). `key`: sign every
        state saved and refuse any loaded that does not match. `lease_seconds`: how long
        a run's hold on its thread lasts unless renewed (a running run renews it)."""
        if str(path) == ":memory:":
            raise ConfigurationError("checkpoints must outlive the process: give a file path")
        _check_settings(keep, key, lease_seconds)
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self.key = key
        self.lease_seconds = lease_seconds
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    def save(self, state: RunState) -> None:
        """Append the state as the thread's newest checkpoint, with its new audit entries,
        if the thread has not moved on from `state.version` (else `StaleStateError`)."""
        with _saving(state) as (thread, loaded_at), self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                last = _newest_at(db, thread, loaded_at)
                state.version = last + 1
                db.execute(
                    "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)",
                    _checkpoint_row(thread, last + 1, state, self.key),
                )
                db.executemany(
                    "INSERT OR IGNORE INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)", _audit_rows(state)
                )
                if self.keep is not None:
                    db.execute(
                        "DELETE FROM checkpoints WHERE thread_id = ? AND seq <= ?",
                        (thread, last + 1 - self.keep),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def load(self, thread_id: str) -> RunState | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT state FROM checkpoints WHERE thread_id = ? ORDER BY seq DESC LIMIT 1",
                (thread_id,),
            ).fetchone()
        return None if row is None else RunState.from_json(row[0], key=self.key)

    def claim(self, thread_id: str, owner: str, *, version: int | None = None) -> float:
        """Hold the thread for `owner` for `lease_seconds` from now; `ThreadBusyError`
        while another owner's lease lasts; with `version`, `StaleStateError` unless the
        thread's newest checkpoint is that one (checked in the same transaction)."""
        now = time.time()
        expires = now + self.lease_seconds
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT owner, expires FROM leases WHERE thread_id = ?", (thread_id,)
                ).fetchone()
                if row is not None:
                    _refuse_if_held(thread_id, owner, row[0], row[1], now)
                if version is not None:
                    _newest_at(db, thread_id, version)
                db.execute(
                    "INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (thread_id, owner, expires)
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return expires

    def release(self, thread_id: str, owner: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM leases WHERE thread_id = ? AND owner = ?", (thread_id, owner))

    def history(self, thread_id: str) -> list[Checkpoint]:
        """The thread's checkpoints, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT thread_id, seq, run_id, phase, step, saved FROM checkpoints "
                "WHERE thread_id = ? ORDER BY seq",
                (thread_id,),
            ).fetchall()
        return [Checkpoint(*row) for row in rows]

    def threads(self) -> list[str]:
        """Every thread id with a checkpoint, sorted."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT thread_id FROM checkpoints ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    def audit(self, thread_id: str | None = None) -> list[AuditEntry]:
        """The audit log (of one thread, or all), oldest first."""
        query = "SELECT entry FROM audit"
        args: tuple[str, ...] = ()
        if thread_id is not None:
            query, args = query + " WHERE thread_id = ?", (thread_id,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY time, rowid", args).fetchall()
        return [AuditEntry.from_dict(json.loads(row[0])) for row in rows]

    def delete(self, thread_id: str) -> None:
        """Forget the thread's checkpoints (its audit entries stay: the log is append-only)."""
        with self._connect() as db:
            db.execute("DELETE FROM checkpoints WHERE thread_id = ?", (thread_id,))

    def __repr__(self) -> str:
        return f"SQLiteCheckpointStore({str(self.path)!r})"

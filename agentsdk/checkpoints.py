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
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from agentsdk.audit import AuditEntry
from agentsdk.errors import ConfigurationError
from agentsdk.state import RunState

__all__ = ["Checkpoint", "CheckpointStore", "SQLiteCheckpointStore"]


@runtime_checkable
class CheckpointStore(Protocol):
    """Saves run states by thread id; the loop calls `save` after every step."""

    def save(self, state: RunState) -> None: ...

    def load(self, thread_id: str) -> RunState | None:
        """The newest state of the thread, or None when there is none."""
        ...


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
"""


class SQLiteCheckpointStore:
    """Run states and the audit log in one SQLite file (`":memory:"` is refused: a
    checkpoint must outlive the process)."""

    def __init__(self, path: str | Path, *, keep: int | None = None) -> None:
        """`keep`: how many checkpoints per thread to keep (None: all)."""
        if str(path) == ":memory:":
            raise ConfigurationError("checkpoints must outlive the process: give a file path")
        if keep is not None and keep < 1:
            raise ConfigurationError("keep must be at least 1")
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.keep = keep
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
        """Append the state as the thread's newest checkpoint, with its new audit entries."""
        if not state.thread_id:
            raise ConfigurationError("a state needs a thread_id to be checkpointed")
        state.updated = time.time()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                (last,) = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM checkpoints WHERE thread_id = ?",
                    (state.thread_id,),
                ).fetchone()
                db.execute(
                    "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        state.thread_id,
                        last + 1,
                        state.run_id,
                        state.phase,
                        state.step,
                        state.updated,
                        state.to_json(),
                    ),
                )
                db.executemany(
                    "INSERT OR IGNORE INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
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
                    ],
                )
                if self.keep is not None:
                    db.execute(
                        "DELETE FROM checkpoints WHERE thread_id = ? AND seq <= ?",
                        (state.thread_id, last + 1 - self.keep),
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
        return None if row is None else RunState.from_json(row[0])

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

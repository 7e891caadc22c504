"""Paused runs in PostgreSQL: the checkpoint store for agents on several machines.

`PostgresCheckpointStore` keeps the contract of `agentsdk.run.checkpoints.CheckpointStore`
and the extras of `SQLiteCheckpointStore` (`history`, `threads`, `audit`, `delete`,
`keep`, signing with `key=`, `lease_seconds`) in three tables of one database. It needs
psycopg 3 (`pip install 'agentsdk[postgres]'`), which is imported only when a store is
made: `import agentsdk` does not need it.

>>> from agentsdk.run.postgres import PostgresCheckpointStore
>>> store = PostgresCheckpointStore("postgresql://agents@db.internal/agents", key=secret)
>>> agent = Agent(kit=kit, tools=[pay], checkpointer=store)

Every call is one transaction on a connection of its own (opened and closed by the
call), so any process or thread can share a store. Writes to one thread (`save`,
`claim`, `delete`) first take a transaction-level advisory lock on it
(`pg_advisory_xact_lock`, keyed by the table prefix and thread id), then read and write:
they run one after another, as `BEGIN IMMEDIATE` makes them in SQLite, while other
threads go on in parallel. So `save` is a compare-and-swap: the newest checkpoint read
under the lock is the one the new row goes on from, or the save is refused
(`StaleStateError`) and writes nothing; the primary key (thread, seq) refuses a second
row of one number even to a writer that skipped the lock. A lock taken in its own
statement matters: a single statement's snapshot is taken before the lock is granted.

A lease expires by the database's clock (`clock_timestamp()`), never the client's: the
lease row holds the server's expiry and `claim` compares it with the server's now. The
times `claim` returns and `ThreadBusyError.until` reports are converted to the caller's
clock (how long the lease has left, added to the caller's now), since the caller times
its renewals with them. A lease held by a process of this host that no longer exists is
taken over at once, as in SQLite.

The tables are made on first use (`CREATE TABLE IF NOT EXISTS` in one transaction,
under an advisory lock, so processes starting together do not trip over each other), in
the first schema of the connection's `search_path` (choose another with the DSN, e.g.
`options=-csearch_path=agents`), named `<table_prefix>checkpoints`, `...audit` and
`...leases`. The audit table is append-only in the database too: a trigger refuses
`UPDATE`, `DELETE` and `TRUNCATE` on it.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError, MissingDependencyError
from agentsdk.hitl.audit import AuditEntry
from agentsdk.run.checkpoints import (
    Checkpoint,
    _audit_rows,
    _check_newest,
    _check_settings,
    _checkpoint_row,
    _refuse_if_held,
    _saving,
)
from agentsdk.run.state import RunState

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresCheckpointStore"]

_INSTALL = "PostgresCheckpointStore needs psycopg 3: pip install 'agentsdk[postgres]'"
_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,39}|")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}checkpoints (
    thread_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    run_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    step BIGINT NOT NULL,
    saved DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)
);
CREATE TABLE IF NOT EXISTS {p}audit (
    n BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    thread_id TEXT,
    run_id TEXT NOT NULL,
    time DOUBLE PRECISION NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}audit_by_thread ON {p}audit (thread_id, time, n);
CREATE OR REPLACE FUNCTION {p}audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$;
DROP TRIGGER IF EXISTS {p}audit_append_only ON {p}audit;
CREATE TRIGGER {p}audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {p}audit
    FOR EACH STATEMENT EXECUTE FUNCTION {p}audit_append_only();
CREATE TABLE IF NOT EXISTS {p}leases (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires TIMESTAMPTZ NOT NULL
);
"""
"""The leases table comes last: when it exists, everything does (DDL is transactional)."""


class PostgresCheckpointStore:
    """Run states and the audit log in a PostgreSQL database, by DSN (a libpq connection
    string or a `postgresql://` URL)."""

    def __init__(
        self,
        dsn: str,
        *,
        keep: int | None = None,
        key: str | bytes | None = None,
        lease_seconds: float = 60.0,
        table_prefix: str = "agentsdk_",
    ) -> None:
        """`keep`: how many checkpoints per thread to keep (None: all). `key`: sign every
        state saved and refuse any loaded that does not match. `lease_seconds`: how long
        a run's hold on its thread lasts unless renewed (a running run renews it).
        `table_prefix`: starts the tables' names (lower-case letters, digits and `_`),
        so that several stores can share one schema. Nothing is connected to until the
        first call."""
        try:
            import psycopg  # noqa: F401 - fail here, not at the first save
        except ImportError as exc:
            raise MissingDependencyError(_INSTALL) from exc
        if not dsn:
            raise ConfigurationError("a PostgreSQL store needs a DSN (connection string or URL)")
        if not _PREFIX.fullmatch(table_prefix):
            raise ConfigurationError(
                f"table_prefix {table_prefix!r} must be up to 40 lower-case letters, digits "
                "and underscores, not starting with a digit"
            )
        _check_settings(keep, key, lease_seconds)
        self.dsn = dsn
        self.keep = keep
        self.key = key
        self.lease_seconds = lease_seconds
        self.table_prefix = table_prefix
        self._ready = False
        self._ready_lock = threading.Lock()
        p = table_prefix
        self._checkpoints, self._audit, self._leases = f"{p}checkpoints", f"{p}audit", f"{p}leases"

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """One transaction on a new connection: committed if the body returns, rolled
        back if it raises; closed either way. Read committed whatever the database's
        default: each statement after the thread's lock sees what was committed before it
        (a repeatable-read snapshot would be taken before the lock is granted)."""
        import psycopg

        with psycopg.connect(self.dsn) as db:
            db.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            yield db

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """`_connect`, once the tables exist (made by the first call of this store)."""
        if not self._ready:
            with self._ready_lock:
                if not self._ready:
                    self._create_tables()
                    self._ready = True
        with self._connect() as db:
            yield db

    def _create_tables(self) -> None:
        with self._connect() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key("schema"),))
            made = db.execute("SELECT to_regclass(%s) IS NOT NULL", (self._leases,)).fetchone()
            if not (made and made[0]):
                db.execute(_SCHEMA.format(p=self.table_prefix))

    def _lock_key(self, *name: str) -> int:
        """A 64-bit advisory lock key for `name` among this store's tables."""
        text = "\0".join(("agentsdk", self.table_prefix, *name))
        return int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
        )

    def _hold(self, db: psycopg.Connection[tuple[Any, ...]], thread_id: str) -> None:
        """Take the thread's write lock until the transaction ends; a statement of its
        own, so that the statements after it see what the previous holder committed."""
        db.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key("thread", thread_id),))

    def _newest(self, db: psycopg.Connection[tuple[Any, ...]], thread_id: str) -> int:
        row = db.execute(
            f"SELECT COALESCE(MAX(seq), 0) FROM {self._checkpoints} WHERE thread_id = %s",
            (thread_id,),
        ).fetchone()
        return int(row[0]) if row is not None else 0

    def save(self, state: RunState) -> None:
        """Append the state as the thread's newest checkpoint, with its new audit entries,
        if the thread has not moved on from `state.version` (else `StaleStateError`)."""
        with _saving(state) as (thread, loaded_at), self._transaction() as db:
            self._hold(db, thread)
            last = _check_newest(thread, self._newest(db, thread), loaded_at)
            state.version = last + 1
            db.execute(
                f"INSERT INTO {self._checkpoints} "
                "(thread_id, seq, run_id, phase, step, saved, state) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                _checkpoint_row(thread, last + 1, state, self.key),
            )
            rows = _audit_rows(state)
            if rows:
                db.cursor().executemany(
                    f"INSERT INTO {self._audit} "
                    "(id, thread_id, run_id, time, actor, action, entry) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                    rows,
                )
            if self.keep is not None:
                db.execute(
                    f"DELETE FROM {self._checkpoints} WHERE thread_id = %s AND seq <= %s",
                    (thread, last + 1 - self.keep),
                )

    def load(self, thread_id: str) -> RunState | None:
        with self._transaction() as db:
            row = db.execute(
                f"SELECT state FROM {self._checkpoints} WHERE thread_id = %s "
                "ORDER BY seq DESC LIMIT 1",
                (thread_id,),
            ).fetchone()
        return None if row is None else RunState.from_json(row[0], key=self.key)

    def claim(self, thread_id: str, owner: str, *, version: int | None = None) -> float:
        """Hold the thread for `owner` for `lease_seconds` from now (the database's now);
        `ThreadBusyError` while another owner's lease lasts; with `version`,
        `StaleStateError` unless the thread's newest checkpoint is that one (checked in
        the same transaction). Returns the expiry on the caller's clock, never later than
        the database's."""
        now = time.time()
        with self._transaction() as db:
            self._hold(db, thread_id)
            row = db.execute(
                "SELECT owner, EXTRACT(EPOCH FROM expires - clock_timestamp())::float8 "
                f"FROM {self._leases} WHERE thread_id = %s",
                (thread_id,),
            ).fetchone()
            if row is not None:
                _refuse_if_held(thread_id, owner, row[0], now + row[1], now)
            if version is not None:
                _check_newest(thread_id, self._newest(db, thread_id), version)
            db.execute(
                f"INSERT INTO {self._leases} (thread_id, owner, expires) "
                "VALUES (%s, %s, clock_timestamp() + %s * interval '1 second') "
                "ON CONFLICT (thread_id) DO UPDATE "
                "SET owner = excluded.owner, expires = excluded.expires",
                (thread_id, owner, self.lease_seconds),
            )
        return now + self.lease_seconds

    def release(self, thread_id: str, owner: str) -> None:
        with self._transaction() as db:
            db.execute(
                f"DELETE FROM {self._leases} WHERE thread_id = %s AND owner = %s",
                (thread_id, owner),
            )

    def history(self, thread_id: str) -> list[Checkpoint]:
        """The thread's checkpoints, oldest first."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT thread_id, seq, run_id, phase, step, saved "
                f"FROM {self._checkpoints} WHERE thread_id = %s ORDER BY seq",
                (thread_id,),
            ).fetchall()
        return [Checkpoint(*row) for row in rows]

    def threads(self) -> list[str]:
        """Every thread id with a checkpoint, sorted (by code point, as Python sorts)."""
        with self._transaction() as db:
            rows = db.execute(
                f'SELECT DISTINCT thread_id COLLATE "C" FROM {self._checkpoints} ORDER BY 1'
            ).fetchall()
        return [row[0] for row in rows]

    def audit(self, thread_id: str | None = None) -> list[AuditEntry]:
        """The audit log (of one thread, or all), oldest first."""
        where, args = ("", ()) if thread_id is None else (" WHERE thread_id = %s", (thread_id,))
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT entry FROM {self._audit}{where} ORDER BY time, n", args
            ).fetchall()
        return [AuditEntry.from_dict(json.loads(row[0])) for row in rows]

    def delete(self, thread_id: str) -> None:
        """Forget the thread's checkpoints (its audit entries stay: the log is append-only)."""
        with self._transaction() as db:
            self._hold(db, thread_id)
            db.execute(f"DELETE FROM {self._checkpoints} WHERE thread_id = %s", (thread_id,))

    def __repr__(self) -> str:
        """The server and database, never the password."""
        from psycopg.conninfo import conninfo_to_dict

        try:
            info = conninfo_to_dict(self.dsn)
        except Exception:  # a DSN libpq cannot parse shows as such; the first call says why
            return "PostgresCheckpointStore(<unparsable DSN>)"
        where = " ".join(
            f"{name}={info[name]}" for name in ("host", "port", "dbname", "user") if name in info
        )
        return f"PostgresCheckpointStore({where!r}, table_prefix={self.table_prefix!r})"

"""Where an export reads from: the checkpoint store (saved states) and the audit log.

The SDK writes its audit log into the checkpoint store's append-only `audit` table
(`store.audit(thread)`); the saved states (`store.load(thread)`) hold the conversations
the model read. An export reads both from one store by default. `read_audit` also takes
the log from elsewhere: a JSON Lines file of `AuditEntry.to_dict()` objects (one per
line; a log copied out of a store), another SQLite store file, or the entries
themselves.

Every way a source can be wrong is a `ConfigurationError` that names the source: a file
that is not there (a store path is never created by reading it), a file that is not a
database or not JSON Lines, an entry that is not an audit entry, a state that is not a
run state. A signed store (`key=`) refuses a state changed since it was saved with
`TamperedStateError`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, TypeAlias, runtime_checkable

from agentsdk.errors import AgentSDKError, ConfigurationError, TamperedStateError
from agentsdk.hitl.audit import AuditEntry
from agentsdk.run.checkpoints import SQLiteCheckpointStore
from agentsdk.run.state import RunState

__all__ = ["AuditSource", "ExportStore", "load_state", "open_store", "read_audit"]

_SQLITE_HEADER = b"SQLite format 3\x00"


@runtime_checkable
class ExportStore(Protocol):
    """What an export needs of a checkpoint store: `SQLiteCheckpointStore` and
    `PostgresCheckpointStore` both have it."""

    def load(self, thread_id: str) -> RunState | None: ...

    def audit(self, thread_id: str | None = None) -> list[AuditEntry]: ...


AuditSource: TypeAlias = "ExportStore | str | Path | Iterable[AuditEntry]"
"""A store (its audit table), a file (JSON Lines, or an SQLite store), or entries."""


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER


def open_store(
    db: str | Path | None = None, *, dsn: str | None = None, key: str | bytes | None = None
) -> ExportStore:
    """The store at `db` (an SQLite file, which must exist) or `dsn` (PostgreSQL)."""
    if (db is None) == (dsn is None):
        raise ConfigurationError("give the checkpoint store: an SQLite file or a PostgreSQL DSN")
    if dsn is not None:
        from agentsdk.run.postgres import PostgresCheckpointStore

        return PostgresCheckpointStore(dsn, key=key)
    path = Path(str(db)).expanduser()
    if not path.is_file():
        raise ConfigurationError(f"no checkpoint store at {path}: the file does not exist")
    if not _is_sqlite(path):
        raise ConfigurationError(f"{path} is not an SQLite database (a checkpoint store)")
    try:
        return SQLiteCheckpointStore(path, key=key)
    except sqlite3.DatabaseError as exc:
        raise ConfigurationError(f"{path} is not a usable checkpoint store: {exc}") from exc


def _store_audit(store: ExportStore, where: str) -> list[AuditEntry]:
    try:
        return store.audit()
    except AgentSDKError as exc:
        raise ConfigurationError(f"the audit log in {where} is corrupt: {exc}") from exc
    except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"the audit log in {where} is corrupt: {type(exc).__name__}: {exc}"
        ) from exc


def _jsonl_audit(path: Path) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"the audit log {path} is not UTF-8 text: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(
                f"the audit log {path} is corrupt: line {number} is not JSON ({exc})"
            ) from exc
        if not isinstance(data, dict):
            raise ConfigurationError(
                f"the audit log {path} is corrupt: line {number} is not a JSON object"
            )
        try:
            entries.append(AuditEntry.from_dict(data))
        except (ConfigurationError, KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"the audit log {path} is corrupt: line {number} is not an audit entry ({exc})"
            ) from exc
    return entries


def read_audit(source: AuditSource) -> tuple[list[AuditEntry], str]:
    """The audit entries of `source`, oldest first as the log has them, and a line that
    says where they came from (for the manifest)."""
    if isinstance(source, str | Path):
        path = Path(source).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"no audit log at {path}: the file does not exist")
        if _is_sqlite(path):
            return _store_audit(open_store(path), str(path)), f"audit table of {path}"
        return _jsonl_audit(path), f"JSON Lines file {path}"
    if isinstance(source, ExportStore):
        return _store_audit(source, repr(source)), f"audit table of {source!r}"
    entries: Sequence[object] = list(source)
    for entry in entries:
        if not isinstance(entry, AuditEntry):
            raise ConfigurationError(
                f"an audit log holds AuditEntry objects, not {type(entry).__name__}"
            )
    return [e for e in entries if isinstance(e, AuditEntry)], f"{len(entries)} entries given"


def load_state(store: ExportStore, thread_id: str) -> RunState | None:
    """The thread's newest saved state (None: none is saved); errors name the thread."""
    try:
        return store.load(thread_id)
    except TamperedStateError as exc:
        raise TamperedStateError(f"thread {thread_id!r}: {exc}") from exc
    except ConfigurationError as exc:
        raise ConfigurationError(f"the saved state of thread {thread_id!r}: {exc}") from exc

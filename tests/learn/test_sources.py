"""Where an export reads: the store, the audit log, the saved states."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from agentsdk import ConfigurationError
from agentsdk.learn.sources import ExportStore, load_state, open_store, read_audit
from agentsdk.run.checkpoints import SQLiteCheckpointStore
from tests.learn.test_export import approved


@pytest.fixture
def store(tmp_path: Path) -> SQLiteCheckpointStore:
    made = SQLiteCheckpointStore(tmp_path / "runs.db")
    approved(made)
    return made


def test_a_store_is_opened_from_a_file_that_exists(store: SQLiteCheckpointStore) -> None:
    opened = open_store(store.path)
    assert isinstance(opened, ExportStore)
    assert opened.load("t-approve") is not None
    with pytest.raises(ConfigurationError, match="an SQLite file or a PostgreSQL DSN"):
        open_store()
    with pytest.raises(ConfigurationError, match="an SQLite file or a PostgreSQL DSN"):
        open_store(store.path, dsn="postgresql://localhost/db")


def test_the_audit_log_comes_from_a_store_a_file_or_entries(
    store: SQLiteCheckpointStore, tmp_path: Path
) -> None:
    entries = store.audit()
    assert read_audit(store) == (entries, f"audit table of {store!r}")
    assert read_audit(store.path)[0] == entries  # an SQLite store file
    log = tmp_path / "audit.jsonl"
    log.write_text("\n".join(json.dumps(e.to_dict()) for e in entries) + "\n\n")
    assert read_audit(log) == (entries, f"JSON Lines file {log}")
    assert read_audit(entries) == (entries, f"{len(entries)} entries given")


def test_a_corrupt_audit_log_is_refused(store: SQLiteCheckpointStore, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text("[1, 2]\n")
    with pytest.raises(ConfigurationError, match="line 1 is not a JSON object"):
        read_audit(log)
    log.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigurationError, match="is not UTF-8 text"):
        read_audit(log)
    with pytest.raises(ConfigurationError, match="AuditEntry objects, not str"):
        read_audit(["not an entry"])  # type: ignore[list-item]
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE audit SET entry = '{broken'")
    with pytest.raises(ConfigurationError, match=r"the audit log in .* is corrupt"):
        read_audit(store)


def test_a_state_that_is_not_a_run_state_names_its_thread(store: SQLiteCheckpointStore) -> None:
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE checkpoints SET state = '{\"format\": 99}'")
    with pytest.raises(ConfigurationError, match="the saved state of thread 't-approve'"):
        load_state(store, "t-approve")
    assert load_state(store, "no-such-thread") is None

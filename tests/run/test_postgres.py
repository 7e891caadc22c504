"""What only the PostgreSQL store has: an optional dependency, its tables (made once, by
processes starting together, under a prefix), an audit table the database keeps
append-only, saves that race right whatever the database's default isolation, leases on
the database's clock. Every test talks to a real server (tests/postgres_server.py); the
contract itself runs against both stores in tests/run/test_checkpoints.py."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from agentsdk import (
    ConfigurationError,
    MissingDependencyError,
    StaleStateError,
    ThreadBusyError,
)
from agentsdk.hitl.audit import AuditEntry
from agentsdk.run.postgres import PostgresCheckpointStore
from agentsdk.run.state import RunState

if TYPE_CHECKING:
    from tests.postgres_server import PostgresServer

pytest_plugins = ["tests.postgres_server"]  # imported by pytest first: its asserts are rewritten

ROOT = Path(__file__).resolve().parents[2]


def test_psycopg_is_imported_only_when_a_store_is_made() -> None:
    code = (
        "import sys, agentsdk, agentsdk.run.postgres as pg\n"
        "print('psycopg' in sys.modules)\n"
        "pg.PostgresCheckpointStore('host=127.0.0.1 port=1')  # connects to nothing yet\n"
        "print('psycopg' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["False", "True"]


def test_without_psycopg_the_store_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` meets then
    with pytest.raises(MissingDependencyError, match=r"pip install 'agentsdk\[postgres\]'"):
        PostgresCheckpointStore("dbname=agents")
    with pytest.raises(ImportError):  # also an ImportError
        PostgresCheckpointStore("dbname=agents")


def test_bad_settings_and_the_password_stay_out(postgres_database: str) -> None:
    with pytest.raises(ConfigurationError, match="DSN"):
        PostgresCheckpointStore("")
    for prefix in ("Runs_", "1runs", "runs; DROP TABLE x", "r" * 41):
        with pytest.raises(ConfigurationError, match="table_prefix"):
            PostgresCheckpointStore(postgres_database, table_prefix=prefix)
    store = PostgresCheckpointStore(postgres_database)
    assert "password" not in repr(store) and "dbname=test_" in repr(store)
    url = "postgresql://ana:hunter2@db.internal:5433/agents"
    assert "hunter2" not in repr(PostgresCheckpointStore(url))


def _tables(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as db:
        rows = db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def test_the_tables_are_made_on_first_use_under_their_prefix(postgres_database: str) -> None:
    plain = PostgresCheckpointStore(postgres_database)
    runs = PostgresCheckpointStore(postgres_database, table_prefix="runs_")
    assert _tables(postgres_database) == []  # making a store connects to nothing
    plain.save(RunState(run_id="r", thread_id="a"))
    runs.save(RunState(run_id="r", thread_id="b"))
    assert _tables(postgres_database) == [
        "agentsdk_audit",
        "agentsdk_checkpoints",
        "agentsdk_leases",
        "runs_audit",
        "runs_checkpoints",
        "runs_leases",
    ]
    assert (plain.threads(), runs.threads()) == (["a"], ["b"])  # one schema, apart


MAKER = """
import sys, time
from pathlib import Path
from agentsdk.run.postgres import PostgresCheckpointStore
from agentsdk.run.state import RunState

dsn, here, n = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
store = PostgresCheckpointStore(dsn, table_prefix="fresh_")
(here / f"ready-{n}").touch()
while not (here / "go").exists():
    time.sleep(0.002)
store.save(RunState(run_id=n, thread_id=f"t{n}"))
"""


def test_processes_starting_together_make_the_tables_once(
    postgres_database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    makers = [
        subprocess.Popen(
            [sys.executable, "-c", MAKER, postgres_database, str(tmp_path), str(n)],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(6)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < len(makers):
        assert time.monotonic() < deadline, "the processes did not start"
        time.sleep(0.02)
    (tmp_path / "go").touch()  # all make the tables at once
    for maker in makers:
        _, err = maker.communicate(timeout=120)
        assert maker.returncode == 0, err
    store = PostgresCheckpointStore(postgres_database, table_prefix="fresh_")
    assert store.threads() == [f"t{n}" for n in range(6)]


def test_the_audit_table_is_append_only_in_the_database(postgres_database: str) -> None:
    store = PostgresCheckpointStore(postgres_database)
    state = RunState(run_id="r", thread_id="t")
    state.audit.append(AuditEntry(action="tool_executed", actor="agent", what={"n": 1}))
    store.save(state)
    for statement in (
        "UPDATE agentsdk_audit SET actor = 'someone else'",
        "DELETE FROM agentsdk_audit",
        "TRUNCATE agentsdk_audit",
    ):
        with (
            pytest.raises(psycopg.errors.RaiseException, match="append-only"),
            psycopg.connect(postgres_database) as db,
        ):
            db.execute(statement)
    store.delete("t")  # the checkpoints go, the log stays
    assert store.load("t") is None
    assert [(e.actor, e.what) for e in store.audit()] == [("agent", {"n": 1})]


def test_saves_race_right_under_a_stricter_default_isolation(postgres_database: str) -> None:
    with psycopg.connect(postgres_database, autocommit=True) as db:
        db.execute(
            sql.SQL(
                "ALTER DATABASE {} SET default_transaction_isolation = 'repeatable read'"
            ).format(sql.Identifier(db.info.dbname))
        )
    store = PostgresCheckpointStore(postgres_database)
    store.save(RunState(run_id="r", thread_id="t"))
    copies = [store.load("t") for _ in range(4)]
    start = threading.Barrier(len(copies))
    outcomes: list[str] = []

    def save(state: RunState | None) -> None:
        assert state is not None
        start.wait()
        try:
            store.save(state)
            outcomes.append("saved")
        except StaleStateError:
            outcomes.append("stale")
        except Exception as exc:  # what a snapshot taken before the lock would give
            outcomes.append(type(exc).__name__)

    savers = [threading.Thread(target=save, args=(state,)) for state in copies]
    for saver in savers:
        saver.start()
    for saver in savers:
        saver.join()
    assert sorted(outcomes) == ["saved", "stale", "stale", "stale"]


def _set_expiry(dsn: str, seconds_from_now: float) -> None:
    """Move the lease's expiry, by the database's clock."""
    with psycopg.connect(dsn) as db:
        db.execute(
            "UPDATE agentsdk_leases SET expires = clock_timestamp() + %s * interval '1 second'",
            (seconds_from_now,),
        )


def test_leases_expire_by_the_database_clock(postgres_database: str) -> None:
    store = PostgresCheckpointStore(postgres_database, lease_seconds=600)
    before = time.time()
    expires = store.claim("t", "ana")
    assert before + 600 <= expires <= time.time() + 600  # on the caller's clock
    with psycopg.connect(postgres_database) as db:
        row = db.execute(
            "SELECT EXTRACT(EPOCH FROM expires - clock_timestamp())::float8 FROM agentsdk_leases"
        ).fetchone()
    assert row is not None and 595 < row[0] <= 600  # kept on the database's clock
    _set_expiry(postgres_database, 3600)  # the server says an hour: the caller hears so
    with pytest.raises(ThreadBusyError) as busy:
        store.claim("t", "bob")
    assert busy.value.until is not None and abs(busy.value.until - (time.time() + 3600)) < 5
    _set_expiry(postgres_database, -1)  # the server says it is over, whatever ana was told
    assert time.time() < expires
    store.claim("t", "bob")


def test_the_server_fixture_runs_a_real_server(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.dsn()) as db:
        row = db.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert row is not None and row[0] // 10000 == int(postgres_server.version)
    assert postgres_server.process.poll() is None and postgres_server.started_in > 0


def test_the_server_fixture_fails_without_the_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import postgres_server

    monkeypatch.setattr(postgres_server, "BINARIES", "/nonexistent/postgresql/*/bin")
    with pytest.raises(pytest.fail.Exception, match=r"python3 tools/bootstrap\.py test"):
        postgres_server.start()

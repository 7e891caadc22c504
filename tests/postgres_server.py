"""A real PostgreSQL server for the tests: Debian's binaries, a throw-away cluster in a
temporary directory, listening on a free port of 127.0.0.1 with a password, for the
whole session; stopped and deleted at its end.

A test module uses it with `pytest_plugins = ["tests.postgres_server"]` (registered once,
so the modules share one server): `postgres_server` (session) is the running
`PostgresServer`, `postgres_database` (per test) the DSN of a new empty database, dropped
after the test. When the tests run as root (they do in CI), initdb and the server run
as Debian's unprivileged `postgres` user, since initdb refuses root. Missing server
binaries fail the tests, they are not skipped: `python3 tools/bootstrap.py test`
installs them (Debian's `postgresql` package).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BINARIES = "/usr/lib/postgresql/*/bin"
"""Where Debian's postgresql-NN packages put initdb and postgres."""
USER = "agentsdk"
"""The cluster's superuser (a role of the server, not of the machine)."""
STARTUP_SECONDS = 60.0


def server_binaries() -> Path | None:
    """The bin folder of the newest PostgreSQL server installed, or None."""
    found = [
        path
        for path in Path("/").glob(BINARIES.lstrip("/"))
        if (path / "initdb").is_file() and (path / "postgres").is_file()
    ]
    if not found:
        return None

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name))

    return max(found, key=version)


def _as_server_user(tmp: Path) -> list[str]:
    """The command prefix that runs the server's programs as an unprivileged user (as
    root: Debian's `postgres`, owning `tmp`), and ends them if the tests die first."""
    prefix = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []
    if os.geteuid() != 0:
        return prefix
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(
            "the PostgreSQL tests run as root and need Debian's `postgres` user to run "
            "initdb (which refuses root): run `python3 tools/bootstrap.py test`, which "
            "installs the postgresql package",
            pytrace=False,
        )
    for path in (tmp, *tmp.iterdir()):
        os.chown(path, user.pw_uid, user.pw_gid)
    if not prefix:
        return ["runuser", "-u", "postgres", "--"]
    return [*prefix, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running cluster of this session (`start()`; `stop()` ends it)."""

    bindir: Path
    tmp: Path
    port: int
    password: str
    process: subprocess.Popen[bytes]
    started_in: float
    """Seconds from nothing to accepting connections (initdb included)."""

    @property
    def version(self) -> str:
        return self.bindir.parent.name

    def dsn(self, dbname: str = "postgres") -> str:
        return (
            f"host=127.0.0.1 port={self.port} user={USER} password={self.password} "
            f"dbname={dbname} connect_timeout=10"
        )

    def log(self) -> str:
        path = self.tmp / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT: clients are disconnected), then delete the cluster."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def start() -> PostgresServer:
    """initdb a cluster in a new temporary folder and start it on a free port."""
    began = time.monotonic()
    bindir = server_binaries()
    if bindir is None:
        pytest.fail(
            f"no PostgreSQL server found ({BINARIES}/initdb and postgres): run "
            "`python3 tools/bootstrap.py test`, which installs Debian's postgresql package",
            pytrace=False,
        )
    tmp = Path(tempfile.mkdtemp(prefix="agentsdk-postgres-"))
    try:
        password = secrets.token_hex(16)
        (tmp / "password").write_text(password + "\n")
        run_as = _as_server_user(tmp)
        initdb = subprocess.run(
            [
                *run_as,
                str(bindir / "initdb"),
                "--pgdata",
                str(tmp / "data"),
                "--username",
                USER,
                "--pwfile",
                str(tmp / "password"),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        if initdb.returncode != 0:
            pytest.fail(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}", pytrace=False)
        for _ in range(3):  # another program may take the free port first
            server = _launch(bindir, tmp, run_as, password, began)
            if server is not None:
                return server
        pytest.fail(
            f"PostgreSQL did not start; its log:\n{(tmp / 'server.log').read_text()}", pytrace=False
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _launch(
    bindir: Path, tmp: Path, run_as: list[str], password: str, began: float
) -> PostgresServer | None:
    """Start the server; it, once it accepts connections, or None if it exited."""
    import psycopg

    port = _free_port()
    with (tmp / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [
                *run_as,
                str(bindir / "postgres"),
                "-D",
                str(tmp / "data"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                str(tmp),  # its unix socket, out of /var/run/postgresql
            ],
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = PostgresServer(bindir, tmp, port, password, process, 0.0)
    deadline = time.monotonic() + STARTUP_SECONDS
    while process.poll() is None:
        try:
            psycopg.connect(server.dsn(), connect_timeout=2).close()
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                log = server.log()
                server.stop()
                pytest.fail(f"PostgreSQL did not accept connections:\n{log}", pytrace=False)
            time.sleep(0.02)
            continue
        server.started_in = time.monotonic() - began
        return server
    return None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The DSN of a new, empty database on the session's server, dropped after the test."""
    import psycopg

    name = f"test_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.dsn(name)
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(postgres_server.dsn(), autocommit=True) as admin,
    ):
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

"""Several server processes on one PostgreSQL: a server killed mid-run (`kill -9`), and
another resumes the thread with nothing lost or done twice; two at once, exactly one."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import textwrap
from pathlib import Path

import httpx

from agentsdk.run.postgres import PostgresCheckpointStore
from tools.bench_serve import Server

pytest_plugins = ["tests.postgres_server"]

AGENTS = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    from agentsdk import Agent, FunctionModel, ToolCall, current_call, tool
    from agentsdk.run.postgres import PostgresCheckpointStore

    LEDGER = Path(os.environ["LEDGER"])

    def booked(call):
        return call.id in LEDGER.read_text() if LEDGER.exists() else False

    @tool(check=booked)
    def book(entry: str) -> str:
        \"\"\"Book an entry in the ledger.

        Args:
            entry: What to book.
        \"\"\"
        with LEDGER.open("a") as ledger:
            ledger.write(f"{current_call().id} {entry}\\n")
        time.sleep(float(os.environ.get("BOOK_SECONDS", "0")))
        return "booked"

    def model(messages):
        if messages[-1].role == "tool":
            return "Booked it."
        return ToolCall("book", {"entry": "rent 900"})

    def agents():
        store = PostgresCheckpointStore(os.environ["DSN"])
        return {"ledger": Agent(model=FunctionModel(model), tools=[book], checkpointer=store)}
    """
)


def test_a_server_killed_mid_run_and_another_resumes_from_postgres(
    tmp_path: Path, postgres_database: str
) -> None:
    (tmp_path / "agents.py").write_text(AGENTS)
    ledger = tmp_path / "ledger.txt"
    os.environ.update({"DSN": postgres_database, "LEDGER": str(ledger), "BOOK_SECONDS": "60"})
    try:
        first = Server(tmp_path, "agents", max_runs=4)
        first.wait_ready()
        with contextlib.suppress(httpx.TimeoutException):  # the tool runs: kill it there
            httpx.post(
                first.url + "/v1/threads/t1/runs",
                json={"agent": "ledger", "input": "Book the rent"},
                timeout=3,
            )
        assert ledger.read_text().count("rent 900") == 1
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)

        os.environ["BOOK_SECONDS"] = "0"
        second, third = Server(tmp_path, "agents", 4), Server(tmp_path, "agents", 4)
        try:
            second.wait_ready()
            third.wait_ready()
            body = {"agent": "ledger"}
            done = httpx.post(second.url + "/v1/threads/t1/resume", json=body, timeout=60)
            again = httpx.post(third.url + "/v1/threads/t1/resume", json=body, timeout=60)
        finally:
            second.stop()
            third.stop()
    finally:
        for name in ("DSN", "LEDGER", "BOOK_SECONDS"):
            os.environ.pop(name, None)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "finished" and done.json()["text"] == "Booked it."
    assert again.status_code == 409  # the run has finished: nothing is done twice
    assert ledger.read_text().count("rent 900") == 1  # the check saw it booked: not rerun
    audit = PostgresCheckpointStore(postgres_database).audit("t1")
    assert [entry.action for entry in audit].count("tool_started") == 1
    (checked,) = [entry for entry in audit if entry.action == "tool_checked"]
    assert checked.what["verdict"] is True  # the tool's check found the entry booked


def test_two_servers_resuming_one_thread_at_once_exactly_one_runs(
    tmp_path: Path, postgres_database: str
) -> None:
    (tmp_path / "agents.py").write_text(AGENTS.replace("@tool(check=booked)", "@tool"))
    ledger = tmp_path / "ledger.txt"
    os.environ.update({"DSN": postgres_database, "LEDGER": str(ledger), "BOOK_SECONDS": "1"})
    try:
        servers = [Server(tmp_path, "agents", 4) for _ in range(2)]
        try:
            for server in servers:
                server.wait_ready()
            store = PostgresCheckpointStore(postgres_database)
            started = httpx.post(
                servers[0].url + "/v1/threads/t2/runs",
                json={"agent": "ledger", "input": "Book the rent"},
                timeout=30,
            ).json()
            assert started["status"] == "finished"
            before = ledger.read_text().count("rent 900")

            # a second run on the same thread from both servers at once: one is busy
            def go(server: Server) -> httpx.Response:
                return httpx.post(
                    server.url + "/v1/threads/t2/runs",
                    json={"agent": "ledger", "input": "Book the rent again"},
                    timeout=30,
                )

            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(go, servers))
        finally:
            for server in servers:
                server.stop()
    finally:
        for name in ("DSN", "LEDGER", "BOOK_SECONDS"):
            os.environ.pop(name, None)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    assert ledger.read_text().count("rent 900") == before + 1
    assert store.load("t2") is not None

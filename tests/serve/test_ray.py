"""`agentsdk serve --ray --replicas 2`: the same app replicated with Ray Serve on this
machine, sharing one PostgreSQL; requests spread over the replicas, and a thread paused on
one replica is decided and resumed on the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

from tests.serve.server import free_port

pytest_plugins = ["tests.postgres_server"]

ROOT = Path(__file__).resolve().parents[2]
AGENTS = textwrap.dedent(
    """
    import os
    from pathlib import Path
    from agentsdk import Agent, FunctionModel, ToolCall, tool
    from agentsdk.run.postgres import PostgresCheckpointStore

    @tool(approval="always")
    def pay(amount: float) -> str:
        \"\"\"Pay an amount.

        Args:
            amount: How much.
        \"\"\"
        with Path(os.environ["LEDGER"]).open("a") as ledger:
            ledger.write(f"{amount}\\n")
        return f"paid {amount}"

    def model(messages):
        if messages[-1].role == "tool":
            return "Done: " + messages[-1].content
        return ToolCall("pay", {"amount": 40.0})

    def agents():
        store = PostgresCheckpointStore(os.environ["DSN"])
        return {"payer": Agent(model=FunctionModel(model), tools=[pay], checkpointer=store)}
    """
)


def test_two_ray_replicas_share_threads_through_postgres(
    tmp_path: Path, postgres_database: str
) -> None:
    (tmp_path / "agents.py").write_text(AGENTS)
    ledger = tmp_path / "ledger.txt"
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "DSN": postgres_database,
        "LEDGER": str(ledger),
        "RAY_ADDRESS": "",
    }
    command = [sys.executable, "-m", "agentsdk", "serve", "--ray", "--replicas", "2"]
    command += ["--agents", f"{tmp_path / 'agents.py'}:agents", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        served: set[str] = set()
        while len(served) < 2:  # until both replicas have answered
            assert server.poll() is None, server.stderr
            assert time.monotonic() < deadline, "the replicas did not both answer"
            try:
                response = httpx.get(url + "/healthz", timeout=10)
                if response.status_code == 200:
                    served.add(response.headers["x-served-by"])
            except httpx.TransportError:
                time.sleep(0.5)
        crossed = 0
        for number in range(12):
            thread = f"t{number}"
            paused = httpx.post(
                f"{url}/v1/threads/{thread}/runs",
                json={"agent": "payer", "input": "Pay it"},
                timeout=60,
            )
            assert paused.json()["status"] == "paused", paused.text
            decision = {
                "agent": "payer",
                "interruption_id": paused.json()["interruptions"][0]["id"],
                "action": "approve",
            }
            done = httpx.post(f"{url}/v1/threads/{thread}/decisions", json=decision, timeout=60)
            assert done.json()["status"] == "finished", done.text
            crossed += paused.headers["x-served-by"] != done.headers["x-served-by"]
            if crossed and number >= 3:
                break
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=120)
    assert crossed >= 1  # paused on one replica, resumed on the other
    runs = number + 1
    assert ledger.read_text().splitlines() == ["40.0"] * runs  # each payment exactly once
    assert server.returncode == 0, err[-3000:]

"""A real server process under bounded load on loopback: over capacity it refuses with
503 and `Retry-After`, never a 500 or a hang; on SIGTERM it finishes what is in flight."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx

from tools.bench_serve import AGENTS, Server, load


def test_over_capacity_requests_are_refused_with_retry_after_never_a_500(
    tmp_path: Path,
) -> None:
    (tmp_path / "agents.py").write_text(AGENTS)
    server = Server(tmp_path, "agents", max_runs=2)
    try:
        server.wait_ready()
        under = asyncio.run(load(server.url, "echo", clients=2, seconds=1.5))
        over = asyncio.run(load(server.url, "slow", clients=10, seconds=2.0))
    finally:
        server.stop()
    assert set(under["statuses"]) == {200} and under["timed out"] == 0
    assert set(over["statuses"]) == {200, 503}, over
    assert over["refusals without Retry-After"] == 0 and over["timed out"] == 0
    assert over["statuses"][200] >= 2


def test_sigterm_lets_the_requests_in_flight_finish(tmp_path: Path) -> None:
    (tmp_path / "agents.py").write_text(AGENTS)
    server = Server(tmp_path, "agents", max_runs=4)
    server.wait_ready()
    answers: list[httpx.Response] = []
    body = {"model": "slow", "messages": [{"role": "user", "content": "hi"}]}

    def ask() -> None:
        answers.append(httpx.post(server.url + "/v1/chat/completions", json=body, timeout=30))

    clients = [threading.Thread(target=ask) for _ in range(3)]
    for client in clients:
        client.start()
    time.sleep(0.1)  # the requests are in, each for 0.2 s
    err = server.stop()
    for client in clients:
        client.join()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(a.json()["choices"][0]["message"]["content"] == "done" for a in answers)
    assert "Application shutdown complete" in err

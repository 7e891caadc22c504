"""Load on `agentsdk serve`, on loopback only, bounded in time: N concurrent clients for T
seconds against a real server process (uvicorn), below and above its capacity.

    python tools/bench.py serve --seconds 10 --clients 8

Three runs, each in a fresh server process:
- scripted: an in-memory model, capacity above the clients: latency, throughput, and the
  same run made in process (`agent.arun`) as the baseline of the server's own cost;
- over capacity: a model that takes 0.2 s, 2 runs at once, many more clients: what is
  refused must be 503 with `Retry-After` (or 429), never a 500 or a hang;
- stock: the stock kit answering a text question, 2 clients (the CPU is the limit).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

AGENTS = textwrap.dedent(
    """
    import asyncio
    from agentsdk import Agent, FunctionModel

    async def slow(messages):
        await asyncio.sleep(0.2)
        return "done"

    def agents():
        return {
            "echo": Agent(model=FunctionModel(lambda m: "echo: " + m[-1].content)),
            "slow": Agent(model=FunctionModel(slow)),
        }

    def stock():
        from agentsdk import GenerationSettings
        return {"stock": Agent(settings=GenerationSettings(max_tokens=24))}
    """
)


def _port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`agentsdk serve` in a subprocess on loopback."""

    def __init__(self, folder: Path, name: str, max_runs: int) -> None:
        self.port = _port()
        command = [sys.executable, "-m", "agentsdk", "serve", "--agents"]
        command += [f"{folder / 'agents.py'}:{name}", "--port", str(self.port)]
        command += ["--max-runs", str(max_runs)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.process.stderr}")
            try:
                if httpx.get(self.url + "/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not get ready")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=60)
        return err


async def load(
    url: str, model: str, clients: int, seconds: float, warmup: int = 2
) -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": "What is 2 + 3?"}]}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    retry_after_missing = 0
    hung = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(warmup):
            await client.post("/v1/chat/completions", json=body)
        deadline = time.monotonic() + seconds

        async def one_client() -> None:
            nonlocal retry_after_missing, hung
            while time.monotonic() < deadline:
                began = time.perf_counter()
                try:
                    response = await client.post("/v1/chat/completions", json=body)
                except httpx.TimeoutException:
                    hung += 1
                    continue
                statuses[response.status_code] += 1
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - began)
                elif response.status_code in (429, 503):
                    if "retry-after" not in response.headers:
                        retry_after_missing += 1
                    await asyncio.sleep(0.05)

        began = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        wall = time.monotonic() - began
    ok = sorted(latencies)
    return {
        "clients": clients,
        "seconds": round(wall, 2),
        "statuses": dict(sorted(statuses.items())),
        "answers per s": round(len(ok) / wall, 1),
        "p50 ms": round(1000 * statistics.median(ok), 1) if ok else None,
        "p99 ms": round(1000 * ok[min(len(ok) - 1, int(0.99 * len(ok)))], 1) if ok else None,
        "refusals without Retry-After": retry_after_missing,
        "timed out": hung,
    }


def _in_process(model: str, runs: int) -> float:
    """Median ms of the same run made in process: the baseline of the server's cost."""
    sys.path.insert(0, str(ROOT))
    namespace: dict[str, Any] = {}
    exec(AGENTS, namespace)
    agent = (namespace["stock"]() if model == "stock" else namespace["agents"]())[model]
    times = []

    async def go() -> None:
        for _ in range(runs):
            began = time.perf_counter()
            await agent.arun("What is 2 + 3?")
            times.append(time.perf_counter() - began)

    asyncio.run(go())
    return 1000 * statistics.median(times[1:])


def bench_serve(seconds: float = 10.0, clients: int = 8) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "agents.py").write_text(AGENTS)
        for label, factory, model, max_runs, load_clients in (
            ("scripted, under capacity", "agents", "echo", clients * 2, clients),
            ("over capacity (0.2 s model, 2 at once)", "agents", "slow", 2, clients * 2),
            ("stock kit", "stock", "stock", 2, 2),
        ):
            server = Server(Path(folder), factory, max_runs)
            try:
                server.wait_ready()
                results[label] = asyncio.run(load(server.url, model, load_clients, seconds))
            finally:
                server.stop()
            if model != "slow":
                baseline = _in_process(model, 50 if model == "echo" else 6)
                results[label]["in process p50 ms (baseline)"] = round(baseline, 2)
    return results


def print_serve(results: dict[str, Any]) -> None:
    for label, row in results.items():
        print(f"\nserve: {label}\n| measure | value |\n| --- | --- |")
        for key, value in row.items():
            print(f"| {key} | {value} |")

"""`agentsdk serve`: a real server process, its keys, its refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from agentsdk.cli import main
from agentsdk.serve.security import hash_key
from tests.serve.server import free_port

ROOT = Path(__file__).resolve().parents[2]
AGENTS = """
from agentsdk import Agent, FunctionModel
agents = {"echo": Agent(model=FunctionModel(lambda m: "echo: " + m[-1].content))}
"""


def test_new_key_prints_a_key_and_the_entry_that_holds_its_digest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--new-key", "alice", "--scopes", "run,review"]) == 0
    out = capsys.readouterr().out.splitlines()
    key = out[0].rsplit(" ", 1)[1]
    entry = json.loads(out[1].removeprefix("entry: "))
    assert entry == {
        "name": "alice",
        "sha256": hash_key(key),
        "scopes": ["review", "run"],
        "per_minute": 120.0,
    }


def test_without_keys_the_server_listens_on_loopback_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.py").write_text(AGENTS)
    assert main(["serve", "--agents", f"{tmp_path / 'app.py'}:agents", "--host", "0.0.0.0"]) == 2
    assert "loopback only" in capsys.readouterr().err
    assert main(["serve"]) == 2


def test_the_command_serves_the_agents_and_stops_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(AGENTS)
    key = "sk-test-0123456789"
    entry = {"name": "app", "sha256": hash_key(key), "scopes": ["run"]}
    (tmp_path / "keys.json").write_text(json.dumps({"keys": [entry]}))
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "agentsdk",
        "serve",
        "--agents",
        f"{tmp_path / 'app.py'}:agents",
    ]
    command += ["--port", str(port), "--keys", str(tmp_path / "keys.json")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr
            time.sleep(0.1)
        assert httpx.get(url + "/readyz").json() == {"status": "ready", "agents": ["echo"]}
        client = openai.OpenAI(base_url=url + "/v1", api_key=key)
        reply = client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content == "echo: hi"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=url + "/v1", api_key="sk-wrong").models.list()
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    # uvicorn finishes what is in flight, then ends by the signal it got, as is the custom
    assert server.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err

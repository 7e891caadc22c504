"""examples/07_remote_openai_compatible_server.py"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples.run_example import EXAMPLES, ROOT, run_example
from tests.openai_server import RecordingServer, completion
from tools.transformers_server import free_port, transformers_serve

NAME = "07_remote_openai_compatible_server.py"


def _lines(out: str, prefix: str) -> list[str]:
    return [line[len(prefix) :] for line in out.splitlines() if line.startswith(prefix)]


@pytest.mark.stock
@pytest.mark.server
def test_07_the_stock_model_answers_through_transformers_serve(tmp_path: Path) -> None:
    # the folder the docstring's first command prints (in a fresh process, as a user runs it)
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from agentsdk import Kit; print(Kit.stock().llm.load_info.checkpoint)",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert found.returncode == 0, found.stderr
    checkpoint = found.stdout.strip().splitlines()[-1]
    assert Path(checkpoint, "config.json").is_file()
    # its second command: `transformers serve CKPT --host 127.0.0.1 --port N --device cpu`
    with transformers_serve(checkpoint) as url:
        question = "What is the capital of France?"
        out = run_example(NAME, url, checkpoint, question, cwd=tmp_path, timeout=300)
    assert _lines(out, "model: ") == [f"{checkpoint} at {url}"]
    assert _lines(out, "question: ") == [question]
    # SmolLM2's chat template has no tool format: the server returns words, never a call
    assert _lines(out, "tool calls: ") == ["none"] and not _lines(out, "tool call: ")
    [answer] = _lines(out, "answer: ")
    assert "Paris" in answer
    [usage] = _lines(out, "usage: ")
    tokens_in, tokens_out = (int(usage.split()[0]), int(usage.split(", ")[1].split()[0]))
    assert tokens_in > 0 and tokens_out > 0  # counted by the server, for the served answer


def test_07_a_tool_call_from_the_server_runs_here_and_its_result_goes_back(
    tmp_path: Path,
) -> None:
    """The wire: a server (scripted, recording what it receives) asks for the calculator;
    the example runs it on this machine and sends the result back in the next request."""
    from agentsdk.toolbox import calculator

    expression = "12.5 * 4"
    server = RecordingServer(
        [
            completion(
                None,
                tool_calls=[("call-1", "calculator", json.dumps({"expression": expression}))],
                finish="tool_calls",
                usage=(40, 12),
            ),
            completion("12.5 times 4 is 50.", usage=(60, 9)),
        ]
    )
    with server.running():
        out = run_example(NAME, server.url, "served-model", "What is 12.5 times 4?", cwd=tmp_path)
    [call] = _lines(out, "tool call: ")
    computed = calculator(expression)  # what the calculator gives, run here by the test
    assert call == f'calculator({{"expression": "{expression}"}}) -> {computed}'
    first, second = server.requests
    assert [t["function"]["name"] for t in first.body["tools"]] == ["calculator"]
    assert first.body["model"] == second.body["model"] == "served-model"
    [tool_message] = [m for m in second.body["messages"] if m["role"] == "tool"]
    assert tool_message["tool_call_id"] == "call-1" and tool_message["content"] == computed
    assert _lines(out, "answer: ") == ["12.5 times 4 is 50."]  # the server's own words
    assert _lines(out, "usage: ") == ["100 tokens in, 21 out (counted by the server)"]


def test_07_without_a_server_it_says_how_to_start_one(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / NAME), url, "some-model"],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert url in done.stderr and "start a server first" in done.stderr
    assert "Traceback" not in done.stderr

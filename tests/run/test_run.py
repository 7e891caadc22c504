"""The entry points of `agentsdk.run`: what a blocking run does on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys, time
    from agentsdk import Agent, FunctionModel, SQLiteCheckpointStore, ToolCall, tool

    @tool
    def wait() -> str:
        \"\"\"Wait a while.\"\"\"
        print("started", flush=True)
        time.sleep(8)
        return "done"

    store = SQLiteCheckpointStore(sys.argv[1])
    model = FunctionModel(lambda messages: ToolCall("wait", {}))
    agent = Agent(model=model, tools=[wait], checkpointer=store)
    began = time.monotonic()
    try:
        agent.run("go", thread_id="t1")
    except KeyboardInterrupt:
        print("interrupted", round(time.monotonic() - began), flush=True)
    store.claim("t1", "someone else")  # the run let go of its thread
    print("released", store.load("t1").phase, flush=True)
    """
)


def test_ctrl_c_cancels_a_blocking_run_which_lets_go_of_its_thread(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "runs.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    lines = out.split("\n")
    interrupted = lines[0].split()
    assert interrupted[0] == "interrupted" and int(interrupted[1]) < 6  # not after the sleep
    assert lines[1].split()[0] == "released"
    assert lines[1].split()[1] != "finished"

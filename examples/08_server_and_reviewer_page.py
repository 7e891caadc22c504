"""08: a server and the reviewer's page. The script serves an agent over HTTP (the app
`agentsdk serve` runs, in a thread of this process, on a free loopback port), asks it
through the OpenAI client to reimburse an expense, and the run pauses: `reimburse` needs
a person's approval. It prints the reviewer's page and what waits there, then decides as
the page's Approve button does (the same HTTP call, with a reviewer's key), and prints
how the run ended, what the tool did and who the audit log says approved it. The server
is stopped and its thread store deleted at the end.

Run it (after `python3 tools/bootstrap.py demo`; the server needs the `serve` extra,
`.[serve]`: FastAPI and uvicorn, which the bootstrap installs):

    .venv/bin/python examples/08_server_and_reviewer_page.py ["request"]

It prints, e.g.

    server: http://127.0.0.1:40521 (agent "clerk", stock SmolLM2)
    request: Please reimburse 18.20 to Tom for lunch.
    status: paused (tool runs so far: 0)
    review page: http://127.0.0.1:40521/review ("agentsdk review"; reviewer key: sk-agentsdk-...)
    pending: reimburse({"amount": 18.2, "to": "Tom"}) on thread expenses-1
    reason: tool 'reimburse' always needs a person's approval
    decision: approve by reviewer:alice
    status: finished
    tool ran: reimbursed 18.20 to Tom
    answer: reimbursed 18.20 to Tom

The page at that address is what a person uses instead of this script's decision: enter
the reviewer key, and each pending call shows with its evidence and Approve, Reject and
Answer instead buttons. To serve your own agents the same way from a shell, put them in a
file and run `agentsdk serve --agents app.py:agents` (README, "Serving agents over HTTP").
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from openai import OpenAI

from agentsdk import Agent, GenerationSettings, Limits, SQLiteCheckpointStore, tool
from agentsdk.serve import ApiKey, KeyRing, create_app, new_key

THREAD = "expenses-1"

reimbursed: list[str] = []
"""What the tool did: it runs only once a person approved the call."""


@tool(approval="always")
def reimburse(amount: float, to: str) -> str:
    """Reimburse an expense: pay an amount back to an employee.

    Args:
        amount: How much to pay back.
        to: Who gets the money.
    """
    done = f"reimbursed {amount:.2f} to {to}"
    reimbursed.append(done)
    return done


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port, in a thread; yields its URL and
    stops the server on leaving."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def main(request: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteCheckpointStore(Path(folder) / "runs.db")  # threads and the audit log
        agent = Agent(  # no kit given: the stock kit (SmolLM2 picks and fills the tool)
            tools=[reimburse],
            checkpointer=store,
            limits=Limits(max_steps=3),
            settings=GenerationSettings(max_tokens=96),
        )
        run_key, review_key = new_key(), new_key()  # kept as SHA-256 digests only
        keys = KeyRing(
            (ApiKey.of("app", run_key, ["run"]), ApiKey.of("alice", review_key, ["review"]))
        )
        with serving(create_app({"clerk": agent}, keys=keys)) as url:
            print(f'server: {url} (agent "clerk", stock SmolLM2)')
            print(f"request: {request}")
            # any OpenAI client runs the agent; the thread keeps the paused run
            client = OpenAI(base_url=url + "/v1", api_key=run_key, timeout=300)
            reply = client.chat.completions.create(
                model="clerk",
                messages=[{"role": "user", "content": request}],
                extra_body={"thread_id": THREAD},
            )
            run = (reply.model_extra or {})["agentsdk"]  # the run's status, beside the text
            print(f"status: {run['status']} (tool runs so far: {len(reimbursed)})")

            # what a reviewer's browser loads: the page, then the pending decisions; then
            # what its Approve button sends
            reviewer = httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {review_key}"}, timeout=300
            )
            with reviewer:
                page = reviewer.get("/review").raise_for_status().text
                title = page.split("<title>", 1)[1].split("</title>", 1)[0]
                print(f'review page: {url}/review ("{title}"; reviewer key: {review_key})')
                pending = reviewer.get("/v1/interruptions").raise_for_status().json()["data"]
                for item in pending:
                    evidence = item["evidence"]
                    call = f"{evidence['tool']}({json.dumps(evidence['arguments'])})"
                    print(f"pending: {call} on thread {item['thread_id']}")
                    print(f"reason: {evidence['reason']}")
                if not pending:
                    print(f"answer: {reply.choices[0].message.content} (nothing to decide)")
                    return
                item = pending[0]
                decision = {
                    "agent": item["agent"],
                    "interruption_id": item["id"],
                    "action": "approve",
                }
                path = f"/v1/threads/{item['thread_id']}/decisions"
                decided = reviewer.post(path, json=decision).raise_for_status().json()
        decisions = [e for e in store.audit(THREAD) if e.action == "decision"]
        for entry in decisions:
            print(f"decision: {entry.what['action']} by {entry.actor}")
        print(f"status: {decided['status']}")
        for done in reimbursed:
            print(f"tool ran: {done}")
        print(f"answer: {decided['text']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Please reimburse 18.20 to Tom for lunch.")

"""examples/08_server_and_reviewer_page.py"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.examples.run_example import run_example


def _lines(out: str, prefix: str) -> list[str]:
    return [line[len(prefix) :] for line in out.splitlines() if line.startswith(prefix)]


@pytest.mark.stock
def test_08_a_paused_reimbursement_is_approved_over_http_and_runs_once(tmp_path: Path) -> None:
    from agentsdk.serve.app import REVIEW_PAGE

    request = "Please reimburse 18.20 to Tom for lunch."
    out = run_example("08_server_and_reviewer_page.py", request, cwd=tmp_path, timeout=300)
    [server] = _lines(out, "server: ")
    url = re.fullmatch(r'(http://127\.0\.0\.1:\d+) \(agent "clerk", stock SmolLM2\)', server)
    assert url is not None, server
    assert _lines(out, "request: ") == [request]
    # the run paused before the tool ran: it needs a person
    assert _lines(out, "status: ") == ["paused (tool runs so far: 0)", "finished"]
    # the page the server served is the reviewer's page
    title = REVIEW_PAGE.split("<title>", 1)[1].split("</title>", 1)[0]
    [page] = _lines(out, "review page: ")
    assert page.startswith(f'{url[1]}/review ("{title}"; reviewer key: sk-')
    # the stock model chose the tool and read both arguments from the request
    [pending] = _lines(out, "pending: ")
    call = re.fullmatch(r"reimburse\((\{.*\})\) on thread expenses-1", pending)
    assert call is not None, pending
    arguments = json.loads(call[1])
    assert arguments == {"amount": 18.2, "to": "Tom"}
    assert _lines(out, "reason: ") == ["tool 'reimburse' always needs a person's approval"]
    # the reviewer's key approved it (the audit log names the key), then the tool ran once,
    # with exactly the arguments that were shown for approval
    assert _lines(out, "decision: ") == ["approve by reviewer:alice"]
    expected = f"reimbursed {arguments['amount']:.2f} to {arguments['to']}"
    assert _lines(out, "tool ran: ") == [expected]
    [answer] = _lines(out, "answer: ")
    assert "18.20" in answer  # after the tool's result, the model answers with it
    assert out.index("status: paused") < out.index("decision: ") < out.index("tool ran: ")

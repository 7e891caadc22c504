"""The server, over real HTTP on loopback, with the official `openai` client and httpx."""

from __future__ import annotations

import asyncio
import base64
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from PIL import Image as PILImage

from agentsdk import (
    Agent,
    FunctionModel,
    Message,
    SQLiteCheckpointStore,
    ToolCall,
    tool,
)
from agentsdk.models.testing import ModelCall
from agentsdk.router import Router
from agentsdk.serve import ApiKey, KeyRing, ServerLimits, create_app
from tests.fakes import FixedEncoder
from tests.serve.server import serving

RUN_KEY, REVIEW_KEY = "sk-run-0123456789", "sk-review-0123456789"


def _png() -> str:
    buffer = io.BytesIO()
    PILImage.fromarray(np.full((16, 16, 3), 255, np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def echo(messages: list[Message]) -> str:
    return "You said: " + messages[-1].content.split("\n")[0]


@pytest.fixture(scope="module")
def open_server() -> Iterator[str]:
    ocr = FixedEncoder("ocr", "image", "TOTAL 12.50", 0.9)
    agents = {
        "echo": Agent(model=FunctionModel(echo)),
        "reader": Agent(model=FunctionModel(lambda m: m[-1].content), router=Router(image=[ocr])),
    }
    with serving(create_app(agents, limits=ServerLimits(max_body_bytes=200_000))) as url:
        yield url


def test_models_and_a_completion_through_the_openai_client(open_server: str) -> None:
    client = openai.OpenAI(base_url=open_server + "/v1", api_key="unused")
    assert sorted(m.id for m in client.models.list()) == ["echo", "reader"]
    reply = client.chat.completions.create(
        model="echo",
        messages=[
            {"role": "system", "content": "ignored: the agent's instructions are the server's"},
            {"role": "user", "content": "hello there"},
        ],
    )
    assert reply.choices[0].message.content == "You said: hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.total_tokens > 0
    extension = reply.model_extra["agentsdk"]  # type: ignore[index]
    assert extension["status"] == "finished" and extension["interruptions"] == []


def test_streamed_chunks_add_up_to_the_answer(open_server: str) -> None:
    client = openai.OpenAI(base_url=open_server + "/v1", api_key="unused")
    stream = client.chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "stream this please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: stream this please"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_an_image_data_url_reaches_the_encoders(open_server: str) -> None:
    client = openai.OpenAI(base_url=open_server + "/v1", api_key="unused")
    reply = client.chat.completions.create(
        model="reader",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is the total?"},
                    {"type": "image_url", "image_url": {"url": _png()}},
                ],
            }
        ],
    )
    assert "TOTAL 12.50" in (reply.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"model": "nobody", "messages": [{"role": "user", "content": "hi"}]}, 404, "echo"),
        ({"model": "echo", "messages": []}, 400, "messages"),
        ({"model": "echo", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "user"),
        (
            {
                "model": "reader",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}
                        ],
                    }
                ],
            },
            400,
            "fetches no URLs and reads no paths",
        ),
        (
            {
                "model": "reader",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "image_url",
                                "image_url": {"url": "data:image/png;base64,AAAA"},
                            }
                        ],
                    }
                ],
            },
            400,
            "content[0]",
        ),
        (
            {
                "model": "echo",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "function", "function": {"name": "x"}}],
            },
            400,
            "own tools",
        ),
    ],
)
def test_bad_requests_get_a_json_error_that_says_what_is_wrong(
    open_server: str, body: dict[str, Any], status: int, says: str
) -> None:
    response = httpx.post(open_server + "/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == status
    error = response.json()["error"]
    assert says in error["message"] and "Traceback" not in response.text


def test_malformed_and_oversized_bodies(open_server: str) -> None:
    url = open_server + "/v1/chat/completions"
    broken = httpx.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "error" in broken.json()
    huge = {"model": "echo", "messages": [{"role": "user", "content": "x" * 300_000}]}
    too_large = httpx.post(url, json=huge, timeout=30)
    assert too_large.status_code == 413 and "200,000 bytes" in too_large.json()["error"]["message"]


def test_an_unexpected_failure_is_a_500_that_names_no_internals() -> None:
    def broken(messages: list[Message]) -> str:
        raise RuntimeError("secret internal detail")

    with serving(create_app({"broken": Agent(model=FunctionModel(broken))})) as url:
        response = httpx.post(
            url + "/v1/chat/completions",
            json={"model": "broken", "messages": [{"role": "user", "content": "hi"}]},
            timeout=30,
        )
    assert response.status_code == 500
    assert "secret" not in response.text and response.json()["error"]["code"] == "internal"


def test_keys_scopes_and_rates() -> None:
    keys = KeyRing(
        (
            ApiKey.of("app", RUN_KEY, ["run"], per_minute=6),
            ApiKey.of("alice", REVIEW_KEY, ["review"]),
        )
    )
    with serving(create_app({"echo": Agent(model=FunctionModel(echo))}, keys=keys)) as url:
        assert httpx.get(url + "/v1/models").status_code == 401
        wrong = httpx.get(url + "/v1/models", headers={"Authorization": "Bearer sk-nope"})
        assert wrong.status_code == 401
        review = httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {REVIEW_KEY}"})
        assert review.status_code == 403 and "'run' scope" in review.json()["error"]["message"]
        allowed = [
            httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {RUN_KEY}"})
            for _ in range(3)
        ]
        assert allowed[0].status_code == 200
        limited = allowed[-1]  # a burst of 10 s at 6 a minute: one request
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert httpx.get(url + "/healthz").json() == {"status": "ok"}  # no key needed


def test_more_runs_than_the_server_takes_get_503_with_retry_after() -> None:
    started = threading.Event()

    async def slow(messages: list[Message]) -> str:
        started.set()
        await asyncio.sleep(1.0)
        return "done"

    app = create_app({"slow": Agent(model=FunctionModel(slow))}, limits=ServerLimits(max_runs=1))
    body = {"model": "slow", "messages": [{"role": "user", "content": "hi"}]}
    with serving(app) as url:
        results: list[httpx.Response] = []
        first = threading.Thread(
            target=lambda: results.append(
                httpx.post(url + "/v1/chat/completions", json=body, timeout=30)
            )
        )
        first.start()
        assert started.wait(10)
        refused = httpx.post(url + "/v1/chat/completions", json=body, timeout=30)
        first.join()
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert results[0].status_code == 200


def test_a_reviewer_edits_a_paused_payment_over_http_and_it_runs_once(tmp_path: Path) -> None:
    paid: list[float] = []

    @tool(approval=lambda arguments: arguments["amount"] > 100)
    def pay(amount: float) -> str:
        """Pay an amount.

        Args:
            amount: How much.
        """
        paid.append(amount)
        return f"paid {amount}"

    def model(messages: list[Message], call: ModelCall) -> ToolCall | str:
        if messages[-1].role == "tool":
            return f"Done: {messages[-1].content}"
        return ToolCall("pay", {"amount": 250.0})

    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    agent = Agent(model=FunctionModel(model), tools=[pay], checkpointer=store)
    keys = KeyRing((ApiKey.of("app", RUN_KEY, ["run"]), ApiKey.of("alice", REVIEW_KEY, ["review"])))
    run_headers = {"Authorization": f"Bearer {RUN_KEY}"}
    review_headers = {"Authorization": f"Bearer {REVIEW_KEY}"}
    with serving(create_app({"payer": agent}, keys=keys)) as url:
        started = httpx.post(
            url + "/v1/threads/t1/runs",
            json={"agent": "payer", "input": "Pay the invoice"},
            headers=run_headers,
            timeout=30,
        ).json()
        assert started["status"] == "paused" and paid == []
        pending = httpx.get(url + "/v1/interruptions", headers=review_headers).json()["data"]
        assert [(p["agent"], p["thread_id"]) for p in pending] == [("payer", "t1")]
        assert pending[0]["evidence"]["arguments"] == {"amount": 250.0}
        assert httpx.get(url + "/v1/interruptions", headers=run_headers).status_code == 403
        decision = {
            "agent": "payer",
            "interruption_id": pending[0]["id"],
            "action": "edit",
            "arguments": {"amount": 25.0},
        }
        done = httpx.post(
            url + "/v1/threads/t1/decisions", json=decision, headers=review_headers, timeout=30
        ).json()
        again = httpx.post(
            url + "/v1/threads/t1/decisions", json=decision, headers=review_headers, timeout=30
        )
        state = httpx.get(url + "/v1/threads/t1?agent=payer", headers=run_headers).json()
    assert done["status"] == "finished" and done["text"].endswith("paid 25.0")
    assert paid == [25.0]  # the edited amount, exactly once
    assert (
        again.status_code == 409 and "no pending interruption" in again.json()["error"]["message"]
    )
    assert state["status"] == "finished" and state["interruptions"] == []
    decisions = [e for e in store.audit("t1") if e.action == "decision"]
    assert [e.actor for e in decisions] == ["reviewer:alice"]


def test_langchain_chat_openai_works_against_the_server_unchanged(open_server: str) -> None:
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model="echo", base_url=open_server + "/v1", api_key="unused")  # type: ignore[arg-type]
    assert chat.invoke([HumanMessage("hello langchain")]).content == "You said: hello langchain"
    streamed = "".join(str(part.content) for part in chat.stream("streamed hello"))
    assert streamed == "You said: streamed hello"


def test_metrics_count_latency_refusals_runs_and_tokens(open_server: str) -> None:
    httpx.post(
        open_server + "/v1/chat/completions",
        json={"model": "echo", "messages": [{"role": "user", "content": "count me"}]},
        timeout=30,
    )
    httpx.post(open_server + "/v1/chat/completions", content=b"x" * 300_000, timeout=30)
    page = httpx.get(open_server + "/metrics").text
    assert 'agentsdk_request_seconds_count{route="/v1/chat/completions",status="200"}' in page
    assert 'agentsdk_refused_requests_total{status="413"}' in page
    assert "agentsdk_runs_in_flight 0.0" in page
    tokens = [line for line in page.splitlines() if line.startswith("agentsdk_output_tokens_total")]
    assert float(tokens[0].split()[-1]) > 0


def test_a_file_that_is_not_audio_is_refused_before_any_model_loads(open_server: str) -> None:
    response = httpx.post(
        open_server + "/v1/audio/transcriptions",
        files={"file": ("clip.wav", b"not audio at all", "audio/wav")},
        data={"model": "whisper-1"},
        timeout=30,
    )
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("file:")


@pytest.mark.stock
def test_the_stock_whisper_transcribes_an_upload_through_the_openai_client(
    open_server: str, tmp_path: Path
) -> None:
    from tests.encoders.samples import speak

    clip = speak("The invoice total is forty two euros.", tmp_path / "question.wav")
    client = openai.OpenAI(base_url=open_server + "/v1", api_key="unused")
    with clip.open("rb") as handle:
        text = client.audio.transcriptions.create(model="whisper-1", file=handle).text
    assert "invoice" in text.lower() and ("42" in text or "forty" in text.lower())

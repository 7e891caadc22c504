"""A small OpenAI-compatible server on loopback that records what it receives and answers
from a script, for exact assertions on the wire format (the real third-party server,
`transformers serve`, is used beside it in the stock tests).

Each scripted reply is one of:
- a dict: a JSON body, HTTP 200;
- `Status(code, body, headers)`: an error answer;
- `Events(chunks, delay)`: a server-sent-event stream of `chunks` then `[DONE]`;
- `Slow(seconds, reply)`: wait, then answer `reply`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Status:
    code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Events:
    chunks: Sequence[dict[str, Any]]
    delay: float = 0.0


@dataclass
class Slow:
    seconds: float
    reply: Any


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class RecordingServer:
    def __init__(self, replies: Sequence[Any] = ()) -> None:
        self.replies: list[Any] = list(replies)
        self.requests: list[Recorded] = []
        self.disconnected = threading.Event()
        """Set when a client closed a stream before its end."""
        self.sent_chunks = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(Recorded(self.path, dict(self.headers), body))
                reply = server.replies.pop(0) if server.replies else Status(500, {"error": "empty"})
                self.answer(reply)

            def answer(self, reply: Any) -> None:
                if isinstance(reply, Slow):
                    time.sleep(reply.seconds)
                    reply = reply.reply
                if isinstance(reply, Status):
                    self.send_json(reply.code, reply.body, reply.headers)
                elif isinstance(reply, Events):
                    self.send_events(reply)
                else:
                    self.send_json(200, reply, {})

            def send_json(self, code: int, body: Any, headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def send_events(self, events: Events) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    for chunk in [*events.chunks, "[DONE]"]:
                        payload = chunk if isinstance(chunk, str) else json.dumps(chunk)
                        self.wfile.write(f"data: {payload}\n\n".encode())
                        self.wfile.flush()
                        server.sent_chunks += 1
                        time.sleep(events.delay)
                except (BrokenPipeError, ConnectionResetError):
                    server.disconnected.set()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @contextmanager
    def running(self) -> Iterator[RecordingServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()


def completion(
    text: str | None = "",
    *,
    tool_calls: Sequence[tuple[str, str, str]] = (),
    finish: str = "stop",
    usage: tuple[int, int] = (10, 5),
    model: str = "served-model",
) -> dict[str, Any]:
    """A chat completion body; tool calls as (id, name, arguments JSON text)."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in tool_calls
        ]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def chunk(
    *,
    content: str | None = None,
    tool_calls: Sequence[dict[str, Any]] | None = None,
    finish: str | None = None,
    usage: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One streamed chunk (a usage-only chunk has no choices)."""
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = list(tool_calls)
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "served-model",
        "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        body["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        }
    return body

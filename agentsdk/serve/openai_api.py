"""The OpenAI chat format on the wire: requests read into an agent's inputs, results
written as chat completions (whole, or as server-sent chunks).

A request's last message is the user's turn: its text parts, `image_url` parts (data
URLs only: the server never fetches a URL nor reads a path it is given) and
`input_audio` parts (base64 WAV, MP3, FLAC or OGG) become the run's parts; the messages
before it are the conversation so far. `system` messages are dropped: an agent's
instructions are the server's. Tools are the agent's own (the server runs them): a
request's `tools` are refused rather than ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentsdk.errors import ConfigurationError, MediaError
from agentsdk.media import Audio, Image, MediaPart
from agentsdk.messages import Message, Part, Text
from agentsdk.run.result import RunResult

__all__ = [
    "ChatRequest",
    "InputError",
    "chunk",
    "completion",
    "content_parts",
    "request_inputs",
]


class InputError(ConfigurationError):
    """A request the server cannot run (it answers 400 with this message)."""


class ChatRequest(BaseModel):
    """The fields of `POST /v1/chat/completions` the server reads; others are ignored,
    as OpenAI-compatible servers do."""

    model_config = ConfigDict(extra="allow")

    model: str
    """The agent's name (`GET /v1/models` lists them)."""
    messages: list[dict[str, Any]] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    tools: list[Any] | None = None
    thread_id: str | None = None
    """agentsdk's extension (the `openai` client sends it with `extra_body`): run on this
    thread of the agent's checkpoint store, continuing its conversation."""


def request_inputs(request: ChatRequest) -> tuple[list[Part], list[Message]]:
    """The run's parts (from the last message) and the conversation before it."""
    if request.tools:
        raise InputError(
            "this server runs its agents' own tools; send no 'tools' (GET /v1/models lists "
            "the agents)"
        )
    *earlier, last = request.messages
    if last.get("role") != "user":
        raise InputError(f"the last message must be the user's, not {last.get('role')!r}")
    parts = content_parts(last.get("content"))
    if not parts:
        raise InputError("the last message has no content")
    history = [_earlier(message, index) for index, message in enumerate(earlier)]
    return parts, [m for m in history if m is not None]


def _earlier(message: dict[str, Any], index: int) -> Message | None:
    role = message.get("role")
    if role == "system" or role == "developer":
        return None
    if role not in ("user", "assistant"):
        raise InputError(
            f"messages[{index}]: the server keeps earlier user and assistant turns only, "
            f"not {role!r} messages (run on a thread to continue a run with tools)"
        )
    content = message.get("content")
    if isinstance(content, list):
        texts = [p.text for p in content_parts(content) if isinstance(p, Text)]
        content = "\n".join(texts)
    if content is not None and not isinstance(content, str):
        raise InputError(f"messages[{index}].content must be text or a list of parts")
    return Message(role, content or "")


def content_parts(content: Any) -> list[Part]:
    """Parts from OpenAI message content: a string, or a list of `text`, `image_url` (a
    data URL) and `input_audio` parts."""
    if isinstance(content, str):
        return [Text(content)] if content.strip() else []
    if not isinstance(content, list):
        raise InputError("message content must be a string or a list of content parts")
    parts: list[Part] = []
    for index, item in enumerate(content):
        if not isinstance(item, dict):
            raise InputError(f"content[{index}] must be an object with a 'type'")
        kind = item.get("type")
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise InputError(f"content[{index}].text must be a string")
            if text.strip():
                parts.append(Text(text))
        elif kind == "image_url":
            parts.append(_image(item.get("image_url"), index))
        elif kind == "input_audio":
            parts.append(_audio(item.get("input_audio"), index))
        else:
            raise InputError(
                f"content[{index}] has type {kind!r}; use 'text', 'image_url' (a data URL) "
                "or 'input_audio'"
            )
    return parts


def _image(value: Any, index: int) -> MediaPart:
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url.startswith("data:"):
        raise InputError(
            f"content[{index}].image_url must be a data URL (data:image/png;base64,...): "
            "the server fetches no URLs and reads no paths"
        )
    header, _, data = url.partition(",")
    if ";base64" not in header:
        raise InputError(f"content[{index}].image_url must be base64-encoded")
    return _media(Image, data, f"image-{index}", index)


def _audio(value: Any, index: int) -> MediaPart:
    if not isinstance(value, dict) or not isinstance(value.get("data"), str):
        raise InputError(f"content[{index}].input_audio needs 'data' (base64) and 'format'")
    return _media(Audio, value["data"], f"audio-{index}.{value.get('format') or 'wav'}", index)


def _media(kind: type[Image] | type[Audio], data: str, name: str, index: int) -> MediaPart:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"content[{index}]: the data is not valid base64") from None
    try:
        return kind(raw, name=name)
    except MediaError as exc:
        raise InputError(f"content[{index}]: {exc}") from None


def _finish(result: RunResult) -> str:
    """The OpenAI finish reason; a run paused for a person reports "stop" and says so in
    `agentsdk.status`."""
    return "length" if result.finish_reason in ("length", "max_steps") else "stop"


def _extension(result: RunResult, thread_id: str | None) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "thread_id": thread_id,
        "status": "paused" if result.paused else "finished",
        "interruptions": [
            {"id": i.id, "kind": i.kind, "reason": i.evidence.reason} for i in result.interruptions
        ],
    }


def _usage(result: RunResult) -> dict[str, int]:
    usage = result.usage
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }


def completion(result: RunResult, model: str, thread_id: str | None) -> dict[str, Any]:
    """A `chat.completion` object for a finished (or paused) run."""
    return {
        "id": f"chatcmpl-{result.run_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.text},
                "finish_reason": _finish(result),
                "logprobs": None,
            }
        ],
        "usage": _usage(result),
        "agentsdk": _extension(result, thread_id),
    }


def chunk(
    run_id: str,
    model: str,
    *,
    text: str | None = None,
    role: bool = False,
    result: RunResult | None = None,
    thread_id: str | None = None,
    usage: bool = False,
) -> str:
    """One server-sent `chat.completion.chunk` event (`data: {...}` and a blank line):
    a text delta, the opening role, or, given the result, the closing chunk (with usage
    when the client asked for it with `stream_options.include_usage`)."""
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = "assistant"
    if text is not None:
        delta["content"] = text
    body: dict[str, Any] = {
        "id": f"chatcmpl-{run_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "delta": delta,
                "finish_reason": None if result is None else _finish(result),
                "logprobs": None,
            }
        ],
    }
    if result is not None:
        body["agentsdk"] = _extension(result, thread_id)
        if usage:
            body["usage"] = _usage(result)
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

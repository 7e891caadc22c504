"""`OpenAIModel`: a chat model on any OpenAI-compatible server, through the official client.

vLLM, llama.cpp's `llama-server`, Ollama, TGI, `transformers serve` and hosted APIs all
speak the same `/v1/chat/completions` protocol; this module speaks it with the `openai`
package (never hand-written HTTP): plain and streamed completions, tool calls in the
OpenAI format (streamed fragments assembled, several calls per turn), usage, finish
reasons, timeouts, and the client's own retries with exponential back-off on 429, 5xx
and connection errors. Closing a stream closes the HTTP response, which makes the
serving engines stop generating.

Images and audio attached to a message go as `image_url` data URLs and `input_audio`
parts, for models that read them (`Agent(perception="native")`).

The API key lives only inside the client: it is never an attribute of the model, never in
its `repr`, an error message, a trace, a state or an audit entry.

>>> model = OpenAIModel("qwen2.5-7b-instruct", base_url="http://localhost:8000/v1")
>>> model = resolve_model("openai:qwen2.5-7b-instruct@http://localhost:8000/v1")
"""

from __future__ import annotations

import base64
import json
import math
import os
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from agentsdk.errors import (
    ConfigurationError,
    MissingDependencyError,
    ModelUnreachableError,
    RemoteModelError,
)
from agentsdk.messages import Message, ToolCall
from agentsdk.models.base import (
    FinishReason,
    GenerationSettings,
    ModelResponse,
    ModelStream,
    ToolSchema,
    Usage,
)
from agentsdk.models.control_tokens import defuse

if TYPE_CHECKING:
    from agentsdk.media import MediaPart

__all__ = ["OpenAIModel", "estimate_tokens", "normalise_base_url"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_FINISH: dict[str, FinishReason] = {"length": "length"}
"""Finish reasons other than "stop" when the reply holds no tool call (a call makes it
"tool_calls", whatever the server said)."""


def _openai() -> Any:
    try:
        import openai
    except ImportError as exc:
        raise MissingDependencyError(
            "OpenAIModel needs the openai package (an agentsdk dependency): pip install openai"
        ) from exc
    return openai


def estimate_tokens(text: str) -> int:
    """Tokens in `text` without the server's tokenizer: about four characters a token for
    English with BPE vocabularies, never fewer than the words. An estimate errs high."""
    if not text:
        return 0
    return max(len(text.split()), math.ceil(len(text) / 4))


def normalise_base_url(url: str) -> str:
    """`localhost:8000` -> `http://localhost:8000/v1`; a URL with a path is kept as given."""
    url = url.strip().rstrip("/")
    if not url:
        raise ConfigurationError("the server URL is empty")
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"not an http(s) URL: {url!r}")
    return url if parts.path not in ("", "/") else url + "/v1"


def _public_url(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=host).geturl()


@dataclass(slots=True)
class _CallBuffer:
    """A tool call assembled from streamed fragments."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAIModel:
    """A chat model served behind an OpenAI-compatible `/v1/chat/completions`."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 2,
        name: str | None = None,
        count_tokens: Callable[[str], int] | None = None,
        max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens",
        extra_body: Mapping[str, Any] | None = None,
        client: Any = None,
    ) -> None:
        """`base_url` defaults to `$OPENAI_BASE_URL`, then OpenAI's own API; `api_key`
        to `$OPENAI_API_KEY` (a local server needs none). `timeout` is seconds per request,
        `max_retries` how often the client retries a 429, a 5xx or a dropped connection
        (with exponential back-off). `count_tokens` counts like the served model (default:
        `estimate_tokens`). `extra_body` is merged into every request (e.g. vLLM's
        `{"chat_template_kwargs": {...}}`). `client`: an `openai.OpenAI` to use as is."""
        if not model or not model.strip():
            raise ConfigurationError("OpenAIModel needs the served model's name")
        if timeout <= 0:
            raise ConfigurationError("timeout must be positive")
        if max_retries < 0:
            raise ConfigurationError("max_retries must be >= 0")
        self.model = model
        self._name = name or model
        self._count = count_tokens or estimate_tokens
        self._max_tokens_field = max_tokens_field
        self._extra_body = dict(extra_body or {})
        if client is not None:
            self._client = client
            self.base_url = str(client.base_url).rstrip("/")
            return
        url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = normalise_base_url(url)
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if self.base_url == DEFAULT_BASE_URL:
                raise ConfigurationError(
                    "OpenAI's API needs a key: set OPENAI_API_KEY or pass api_key=; for a "
                    "server of your own, pass base_url= or set OPENAI_BASE_URL"
                )
            key = "not-needed"  # local servers ignore it; the client insists on one
        self._client = _openai().OpenAI(
            base_url=self.base_url, api_key=key, timeout=timeout, max_retries=max_retries
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def remote(self) -> bool:
        """Always True: the conversation goes to the server."""
        return True

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model!r}, base_url={_public_url(self.base_url)!r})"

    # -- requests ----------------------------------------------------------------------

    def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
        stream: bool = False,
    ) -> dict[str, Any]:
        """The keyword arguments of `client.chat.completions.create` for this turn."""
        if not messages:
            raise ConfigurationError("cannot generate from an empty conversation")
        settings = settings or GenerationSettings()
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [wire_message(m) for m in messages],
            self._max_tokens_field: settings.max_tokens,
            "temperature": settings.temperature,
        }
        if settings.sampling and settings.top_p < 1:
            body["top_p"] = settings.top_p
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.seed is not None:
            body["seed"] = settings.seed
        if tools:
            body["tools"] = [_wire_tool(t) for t in tools]
        extra = dict(self._extra_body)
        if settings.sampling and settings.top_k is not None:
            extra.setdefault("top_k", settings.top_k)  # vLLM, llama.cpp, Ollama read it
        if settings.repetition_penalty is not None:
            extra.setdefault("repetition_penalty", settings.repetition_penalty)
        if extra:
            body["extra_body"] = extra
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _create(self, body: dict[str, Any]) -> Any:
        openai = _openai()
        where = _public_url(self.base_url)
        try:
            return self._client.chat.completions.create(**body)
        except openai.APITimeoutError as exc:
            raise ModelUnreachableError(
                f"the model server at {where} did not answer in time (model {self.model!r})",
                url=where,
            ) from exc
        except openai.APIConnectionError as exc:
            raise ModelUnreachableError(
                f"cannot reach the model server at {where}: {_reason(exc)}; is it running?",
                url=where,
            ) from exc
        except openai.APIStatusError as exc:
            raise RemoteModelError(
                f"the model server at {where} refused the request for {self.model!r} "
                f"(HTTP {exc.status_code}): {_server_message(exc)}",
                url=where,
                status=exc.status_code,
            ) from exc
        except openai.OpenAIError as exc:
            raise RemoteModelError(
                f"the model server at {where} failed: {type(exc).__name__}", url=where
            ) from exc

    # -- ChatModel ---------------------------------------------------------------------

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        completion = self._create(self.request(messages, tools=tools, settings=settings))
        choices = getattr(completion, "choices", None)
        if not choices:
            raise RemoteModelError(
                f"the model server at {_public_url(self.base_url)} answered with no choices",
                url=_public_url(self.base_url),
            )
        choice = choices[0]
        message = choice.message
        calls = tuple(
            read_tool_call(c.id or "", c.function.name or "", c.function.arguments or "")
            for c in (message.tool_calls or ())
            if getattr(c, "function", None) is not None
        )
        return ModelResponse(
            text=message.content or "",
            tool_calls=calls,
            usage=_usage(getattr(completion, "usage", None)),
            finish_reason=_finish(choice.finish_reason, calls),
            model=getattr(completion, "model", None) or self._name,
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        body = self.request(messages, tools=tools, settings=settings, stream=True)
        return ModelStream(self._deltas(body))

    def _deltas(self, body: dict[str, Any]) -> Generator[str, None, ModelResponse]:
        chunks = self._create(body)
        openai = _openai()
        text: list[str] = []
        buffers: dict[int, _CallBuffer] = {}
        usage, reason, served = Usage(), None, ""
        try:
            for chunk in _guarded(chunks, self.base_url, openai):
                served = getattr(chunk, "model", None) or served
                if getattr(chunk, "usage", None) is not None:
                    usage = _usage(chunk.usage)
                for choice in chunk.choices or ():
                    delta = choice.delta
                    if delta is not None and delta.content:
                        text.append(delta.content)
                        yield delta.content
                    for fragment in (delta.tool_calls if delta is not None else None) or ():
                        buffer = buffers.setdefault(fragment.index or 0, _CallBuffer())
                        buffer.id = fragment.id or buffer.id
                        function = fragment.function
                        if function is not None:
                            buffer.name += function.name or ""
                            buffer.arguments.append(function.arguments or "")
                    if choice.finish_reason:
                        reason = choice.finish_reason
        finally:
            chunks.close()  # the server stops generating when the connection closes
        calls = tuple(
            read_tool_call(b.id, b.name, "".join(b.arguments)) for _, b in sorted(buffers.items())
        )
        served = served or self._name
        return ModelResponse("".join(text), calls, usage, _finish(reason, calls), served)


def _guarded(chunks: Any, url: str, openai: Any) -> Iterator[Any]:
    """Iterate a stream; a connection lost midway is a typed error naming the server."""
    where = _public_url(url)
    iterator = iter(chunks)
    while True:
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        except openai.APIError as exc:
            raise RemoteModelError(
                f"the stream from {where} failed: {_server_message(exc)}", url=where
            ) from exc
        except (OSError, ValueError) as exc:  # the connection dropped mid-stream
            raise ModelUnreachableError(
                f"lost the connection to the model server at {where}: {exc}", url=where
            ) from exc
        yield chunk


def read_tool_call(call_id: str, name: str, arguments: str) -> ToolCall:
    """A tool call from the wire. Arguments that are not a JSON object make a call marked
    `malformed`: it never runs, and the model reads why as the tool's error."""
    ids = {"id": call_id} if call_id else {}
    if not name:
        return ToolCall("", {}, malformed="the call names no tool", **ids)
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as exc:
        problem = f"its arguments are not valid JSON ({exc.msg} at character {exc.pos})"
        return ToolCall(name, {}, malformed=problem, **ids)
    if not isinstance(parsed, dict):
        problem = f"its arguments are a JSON {type(parsed).__name__}, not an object"
        return ToolCall(name, {}, malformed=problem, **ids)
    return ToolCall(name, parsed, **ids)


def wire_message(message: Message) -> dict[str, Any]:
    """A message in the wire format: tool-call arguments as JSON strings, attached media
    as content parts; the turn markers of the common chat formats defused in every text
    (the server's template must not read them as its own)."""
    data: dict[str, Any] = {"role": message.role}
    text = defuse(message.content)
    if message.media:
        content: list[dict[str, Any]] = []
        if text:
            content.append({"type": "text", "text": text})
        content += [media_part(item) for item in message.media]
        data["content"] = content
    else:
        data["content"] = text
    if message.tool_calls:
        data["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": defuse(json.dumps(dict(call.arguments), ensure_ascii=False)),
                },
            }
            for call in message.tool_calls
        ]
        if not message.content:
            data["content"] = None
    if message.tool_call_id is not None:
        data["tool_call_id"] = message.tool_call_id
    return data


def media_part(item: MediaPart) -> dict[str, Any]:
    """An image as an `image_url` data URL, audio as an `input_audio` part (16 kHz WAV);
    other modalities have no part in the chat format and are refused."""
    from agentsdk.media import Audio, Image

    if isinstance(item, Audio):
        data = base64.b64encode(item.wav_bytes(16_000)).decode("ascii")
        return {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}
    if isinstance(item, Image):
        encoded, mime = item.encoded()
        url = f"data:{mime};base64,{base64.b64encode(encoded).decode('ascii')}"
        return {"type": "image_url", "image_url": {"url": url}}
    raise ConfigurationError(
        f"{item.modality} parts cannot be sent natively to a model: use "
        "Agent(perception='encoders')"
    )


def _finish(reason: str | None, calls: tuple[ToolCall, ...]) -> FinishReason:
    if calls:
        return "tool_calls"
    return _FINISH.get(reason or "stop", "stop")


def _usage(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    return Usage(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return str(cause) if cause is not None and str(cause) else str(exc)


def _server_message(exc: Any) -> str:
    """What the server said: OpenAI's `{"error": {"message"}}`, or FastAPI's `{"detail"}`
    (a string, or a list of `{"msg"}`), which `transformers serve` and others answer."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"])[:500]
        if isinstance(error, str):
            return error[:500]
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            return detail[:500]
        if isinstance(detail, list):
            said = [str(d.get("msg")) for d in detail if isinstance(d, Mapping) and d.get("msg")]
            if said:
                return "; ".join(said)[:500]
    return str(getattr(exc, "message", "") or exc)[:500]


def _wire_tool(schema: ToolSchema) -> dict[str, Any]:
    """The tool as a server reads it: our own extension keys (call templates) removed."""
    tool = dict(schema)
    function = tool.get("function")
    if isinstance(function, Mapping):
        tool["function"] = {k: v for k, v in function.items() if not str(k).startswith("x-")}
    return tool

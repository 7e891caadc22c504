"""The ASGI app behind `agentsdk serve` (FastAPI): OpenAI-compatible chat completions
over named agents, threads that pause for people and resume, and the health checks.

| route                                      | scope  | what                                    |
| ------------------------------------------ | ------ | --------------------------------------- |
| `GET /healthz`                             | -      | the process answers                     |
| `GET /readyz`                              | -      | every agent's models are loaded         |
| `GET /metrics`                             | -      | Prometheus: latency, refusals, tokens   |
| `GET /v1/models`                           | run    | the agents, as OpenAI models            |
| `POST /v1/chat/completions`                | run    | one run (`stream: true`: SSE chunks)    |
| `POST /v1/audio/transcriptions`            | run    | the stock Whisper's transcript of a file|
| `POST /v1/threads/{thread}/runs`           | run    | a run on a thread of the agent's store  |
| `GET /v1/threads/{thread}?agent=NAME`      | run    | the thread's newest state, summarised   |
| `GET /v1/interruptions`                    | review | pending decisions across every thread   |
| `POST /v1/threads/{thread}/decisions`      | review | decide one interruption, then resume    |
| `POST /v1/threads/{thread}/resume`         | run    | go on with a run that stopped           |
| `GET /v1/media/{sha256}`                   | review | an image or clip a run was given        |
| `GET /review`                              | -      | the reviewer's page (its data: review)  |

Errors are JSON (`{"error": {"message", "type", "code"}}`) with a 4xx status that says
what is wrong; an unexpected failure is a 500 that names no internals (the traceback
goes to the server's log). Requests over `ServerLimits.max_body_bytes` get 413; beyond
`max_runs` runs at once, 503 with `Retry-After`. CORS is off (no browser origin may call
it) unless `cors_origins` lists some.

What the routes take and give:

- `/v1/chat/completions`: text, `image_url` data URLs (the server fetches no URL and
  reads no path a request names) and `input_audio` parts; `stream: true` sends SSE
  chunks, with usage when `stream_options.include_usage`; `extra_body={"thread_id": ...}`
  runs on a thread of the agent's checkpoint store. A request's `tools` are refused (the
  agents' own tools run here). Each completion carries an `agentsdk` field: `run_id`,
  `thread_id`, `status` (`finished` or `paused`) and the interruptions.
- `POST /v1/threads/{thread}/runs`: `{"agent", "input"}`.
- `GET /v1/threads/{thread}?agent=`: the newest state, pending interruptions with their
  evidence.
- `POST /v1/threads/{thread}/decisions`: `{"agent", "interruption_id", "action":
  approve|approve_always|edit|reject|respond|confirm|correct, "arguments", "message"}`;
  the decision is recorded with the reviewer's key name (`reviewer:alice` in the audit
  log) and the run resumes. A decision on an interruption that is no longer pending is a
  409, and so is a second run on a thread another process is working on.
- `POST /v1/threads/{thread}/resume`: `{"agent"}`; goes on with a run whose process died.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentsdk.agent import Agent
from agentsdk.encoders.base import Observation
from agentsdk.errors import (
    AgentSDKError,
    ConfigurationError,
    MediaError,
    ModelError,
    StaleStateError,
    ThreadBusyError,
)
from agentsdk.events import RunFinished, TokenDelta
from agentsdk.hitl.approvals import Decision
from agentsdk.kit import Kit
from agentsdk.media import Audio
from agentsdk.messages import Part, Text
from agentsdk.run.result import RunResult
from agentsdk.run.state import RunState
from agentsdk.serve.media_store import MediaStore
from agentsdk.serve.metrics import Metrics
from agentsdk.serve.openai_api import (
    ChatRequest,
    InputError,
    chunk,
    completion,
    content_parts,
    request_inputs,
)
from agentsdk.serve.security import ApiKey, KeyRing

__all__ = ["ServerLimits", "create_app"]

log = logging.getLogger("agentsdk.serve")


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Bounds on what one server process accepts."""

    max_body_bytes: int = 32 * 1024 * 1024
    """Largest request body (images and audio travel base64-encoded inside it)."""
    max_runs: int = 8
    """Runs at once; more are refused with 503 and `Retry-After` (no queue that grows)."""
    retry_after: int = 1
    """Seconds a refused client is told to wait."""
    cors_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the API; none by default."""


class ApiError(Exception):
    """An error answered as JSON with `status`."""

    def __init__(
        self, status: int, message: str, code: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = dict(headers or {})


def _error(
    status: int, message: str, code: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": code}},
        status_code=status,
        headers=dict(headers or {}),
    )


class _BodyLimit:
    """413 for a body over the limit, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _error(413, f"the request body is over {self.limit:,} bytes", "too_large")(
                scope, receive, send
            )
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise ApiError(
                        413, f"the request body is over {self.limit:,} bytes", "too_large"
                    )
            return message

        await self.app(scope, counted, send)


def _authorised(request: Request, scope: str) -> ApiKey | None:
    """The caller's key, when the app has keys: present, with `scope`, within its rate."""
    keys: KeyRing | None = request.app.state.keys
    if keys is None:
        return None
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    key = keys.find(presented.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        raise ApiError(401, "a valid API key is needed: Authorization: Bearer KEY", "unauthorized")
    if scope not in key.scopes:
        raise ApiError(403, f"key {key.name!r} has no {scope!r} scope", "forbidden")
    wait = keys.take(key)
    if wait > 0:
        raise ApiError(
            429,
            f"key {key.name!r} is over its rate of {key.per_minute:g} requests a minute",
            "rate_limited",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return key


async def _may_run(request: Request) -> ApiKey | None:
    return _authorised(request, "run")


async def _may_review(request: Request) -> ApiKey | None:
    return _authorised(request, "review")


RunKey = Annotated[ApiKey | None, Depends(_may_run)]
"""A caller allowed to run agents."""
ReviewKey = Annotated[ApiKey | None, Depends(_may_review)]
"""A caller allowed to see and decide interruptions."""


class RunInput(BaseModel):
    """`POST /v1/threads/{thread}/runs`."""

    agent: str
    input: str | list[dict[str, Any]] = Field(description="text, or OpenAI content parts")


class ResumeInput(BaseModel):
    """`POST /v1/threads/{thread}/resume`."""

    agent: str


class DecisionInput(BaseModel):
    """`POST /v1/threads/{thread}/decisions`."""

    agent: str
    interruption_id: str
    action: str = Field(
        description="approve, approve_always, edit, reject, respond, confirm, correct"
    )
    arguments: dict[str, Any] | None = None
    message: str = ""


def create_app(
    agents: Mapping[str, Agent],
    *,
    keys: KeyRing | None = None,
    limits: ServerLimits | None = None,
    speech_kit: Kit | None = None,
    media: MediaStore | None = None,
) -> FastAPI:
    """The app serving `agents` by name. Without `keys` every request is allowed: for a
    server on loopback only (`agentsdk serve` refuses to listen elsewhere without keys).
    Transcriptions use `speech_kit`'s speech model (default: the stock kit's Whisper,
    loaded on the first request). The images and clips of the runs it starts are kept in
    `media` (default: a temporary folder) for reviewers to see."""
    if not agents:
        raise ConfigurationError("a server needs at least one agent")
    limits = limits or ServerLimits()
    app = FastAPI(title="agentsdk", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(_BodyLimit, limit=limits.max_body_bytes)
    if limits.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(limits.cors_origins))
    metrics = Metrics()
    kept = media if media is not None else MediaStore()
    transcriber = functools.cache(lambda: speech_kit or Kit.stock())
    running = _Slots(limits.max_runs, limits.retry_after, metrics)
    app.state.keys = keys
    app.middleware("http")(metrics.middleware)

    def agent_named(name: str) -> Agent:
        agent = agents.get(name)
        if agent is None:
            known = ", ".join(sorted(agents))
            raise ApiError(
                404, f"no agent named {name!r}; this server has: {known}", "unknown_agent"
            )
        return agent

    def store_of(name: str) -> Any:
        store = agent_named(name).checkpointer
        if store is None:
            raise ApiError(
                400, f"agent {name!r} has no checkpoint store: it keeps no threads", "no_threads"
            )
        return store

    async def saved(name: str, thread_id: str) -> RunState:
        """The newest state of agent `name`'s thread (404 when it has none)."""
        state: RunState | None = await asyncio.to_thread(store_of(name).load, thread_id)
        if state is None:
            message = f"agent {name!r} has no thread {thread_id!r}"
            raise ApiError(404, message, "unknown_thread")
        return state

    async def counted(work: Callable[[], Awaitable[RunResult]]) -> RunResult:
        """`work()` (a run or a resume) in one of the server's slots, its use counted;
        started only once it has a slot."""
        async with running.slot():
            result = await work()
        metrics.ran(result)
        return result

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), "http_error")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in error.get('loc', ()) if p != 'body') or 'body'}: "
            f"{error.get('msg', 'invalid')}"
            for error in exc.errors()[:5]
        ]
        return _error(400, "; ".join(problems), "invalid_request")

    @app.exception_handler(AgentSDKError)
    async def sdk_error(request: Request, exc: AgentSDKError) -> JSONResponse:
        if isinstance(exc, ThreadBusyError | StaleStateError):
            return _error(409, str(exc), "thread_busy")
        if isinstance(exc, ModelError):
            log.warning("model failure: %s", exc)
            return _error(502, f"the model failed: {exc}", "model_error")
        if isinstance(exc, InputError | ConfigurationError | MediaError):
            return _error(400, str(exc), "invalid_input")
        return _error(400, str(exc), type(exc).__name__)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected failure on %s %s", request.method, request.url.path)
        return _error(500, "the server failed on this request; its log says why", "internal")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        waiting = {
            name: agent.kit.unloaded()
            for name, agent in agents.items()
            if agent.kit is not None and agent.kit.unloaded()
        }
        if waiting:
            return JSONResponse({"status": "loading", "unloaded": waiting}, status_code=503)
        return JSONResponse({"status": "ready", "agents": sorted(agents)})

    @app.get("/metrics")
    async def metrics_page() -> Response:
        return metrics.exposition()

    @app.get("/v1/models")
    async def models(key: RunKey) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "agentsdk"}
                for name in sorted(agents)
            ],
        }

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: ChatRequest, key: RunKey) -> dict[str, Any] | StreamingResponse:
        agent = agent_named(request.model)
        parts, history = request_inputs(request)
        await asyncio.to_thread(_keep, kept, parts)
        if request.thread_id is not None and agent.checkpointer is None:
            raise ApiError(400, f"agent {request.model!r} keeps no threads", "no_threads")
        earlier = None if request.thread_id is not None else history
        if not request.stream:
            thread = request.thread_id
            result = await counted(lambda: agent.arun(parts, thread_id=thread, history=earlier))
            return completion(result, request.model, request.thread_id)
        include_usage = bool((request.stream_options or {}).get("include_usage"))
        running.enter()  # before the response starts: a refusal is still a 503

        async def events() -> AsyncIterator[str]:
            try:
                opened = False
                async for event in agent.stream(
                    parts, thread_id=request.thread_id, history=earlier
                ):
                    if not opened:
                        opened = True
                        yield chunk(event.run_id, request.model, role=True)
                    if isinstance(event, TokenDelta):
                        yield chunk(event.run_id, request.model, text=event.text)
                    elif isinstance(event, RunFinished):
                        metrics.ran(event.result)
                        yield chunk(
                            event.run_id,
                            request.model,
                            result=event.result,
                            thread_id=request.thread_id,
                            usage=include_usage,
                        )
                yield "data: [DONE]\n\n"
            except AgentSDKError as exc:  # headers are sent: report it in the stream
                yield f"data: {_stream_error(exc)}\n\n"
            finally:
                running.leave()

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/audio/transcriptions")
    async def transcriptions(
        key: RunKey,
        file: Annotated[UploadFile, File(description="WAV, MP3, FLAC or OGG")],
        model: Annotated[str, Form()] = "whisper-1",
    ) -> dict[str, Any]:
        """The stock Whisper's transcript of an uploaded clip (`model` is ignored)."""
        data = await file.read(limits.max_body_bytes + 1)
        try:
            audio = Audio(data, name=Path(file.filename or "clip").name)
        except MediaError as exc:
            raise InputError(f"file: {exc}") from None
        async with running.slot():
            speech = await asyncio.to_thread(lambda: transcriber().speech)
            observation = await asyncio.to_thread(speech.encode, audio)
        return {"text": observation.text}

    @app.post("/v1/threads/{thread_id}/runs")
    async def run_on_thread(thread_id: str, body: RunInput, key: RunKey) -> dict[str, Any]:
        agent = agent_named(body.agent)
        store_of(body.agent)
        parts = content_parts(body.input)
        if not parts:
            raise InputError("the input is empty")
        await asyncio.to_thread(_keep, kept, parts)
        result = await counted(lambda: agent.arun(parts, thread_id=thread_id))
        return _summary(body.agent, thread_id, result.state, result)

    @app.get("/v1/threads/{thread_id}")
    async def thread(thread_id: str, agent: str, key: RunKey) -> dict[str, Any]:
        return _summary(agent, thread_id, await saved(agent, thread_id))

    @app.get("/v1/interruptions")
    async def interruptions(key: ReviewKey) -> dict[str, Any]:
        found: list[dict[str, Any]] = []
        for name, agent in sorted(agents.items()):
            store = agent.checkpointer
            if store is None or not hasattr(store, "threads"):
                continue
            for thread_id in await asyncio.to_thread(store.threads):
                state = await asyncio.to_thread(store.load, thread_id)
                if state is None or not state.pending:
                    continue
                observations = [_seen(o) for o in state.observations]
                for interruption in state.pending:
                    found.append(
                        {
                            "agent": name,
                            "thread_id": thread_id,
                            **interruption.to_dict(),
                            "observations": observations,
                        }
                    )
        return {"object": "list", "data": found}

    @app.post("/v1/threads/{thread_id}/resume")
    async def resume(thread_id: str, body: ResumeInput, key: RunKey) -> dict[str, Any]:
        """Go on with a thread whose run stopped (its process died, or decisions were
        recorded elsewhere); a run that waits for people pauses again."""
        agent = agent_named(body.agent)
        state = await saved(body.agent, thread_id)
        if state.phase == "finished":
            raise ApiError(409, f"thread {thread_id!r} has finished its run", "finished")
        result = await counted(lambda: agent.aresume(state))
        return _summary(body.agent, thread_id, result.state, result)

    @app.get("/v1/media/{sha256}")
    async def media_part(sha256: str, key: ReviewKey) -> Response:
        found = await asyncio.to_thread(kept.get, sha256)
        if found is None:
            raise ApiError(404, f"no media part {sha256!r} is kept here", "unknown_media")
        data, mime = found
        return Response(data, media_type=mime, headers={"Cache-Control": "no-store"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/review", response_class=HTMLResponse)
    async def review() -> HTMLResponse:
        return HTMLResponse(REVIEW_PAGE, headers=REVIEW_HEADERS)

    @app.post("/v1/threads/{thread_id}/decisions")
    async def decide(thread_id: str, body: DecisionInput, key: ReviewKey) -> dict[str, Any]:
        agent = agent_named(body.agent)
        state = await saved(body.agent, thread_id)
        if body.interruption_id not in {i.id for i in state.pending}:
            raise ApiError(
                409,
                f"thread {thread_id!r} has no pending interruption {body.interruption_id!r}",
                "not_pending",
            )
        state.decide(body.interruption_id, _decision(body, key))
        result = await counted(lambda: agent.aresume(state))
        return _summary(body.agent, thread_id, result.state, result)

    return app


REVIEW_PAGE = (resources.files("agentsdk.serve") / "review.html").read_text(encoding="utf-8")
"""The reviewer's page: plain HTML, CSS and one inline script (no build step)."""
_SCRIPT = REVIEW_PAGE.split("<script>", 1)[1].split("</script>", 1)[0]
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
REVIEW_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; connect-src 'self'; img-src 'self' blob:; "
        f"style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
"""Only the page's own script runs, only this server is reached, and no other site may
frame it."""


def _keep(store: MediaStore, parts: Sequence[Part]) -> None:
    for part in parts:
        if not isinstance(part, Text):
            store.put(part)


def _seen(observation: Observation) -> dict[str, Any]:
    """An observation for the reviewer's page (its embedding left out)."""
    data: dict[str, Any] = observation.to_dict()
    data.pop("embedding", None)
    return data


def _decision(body: DecisionInput, key: ApiKey | None) -> Decision:
    actor = f"reviewer:{key.name}" if key is not None else "reviewer"
    action = body.action
    if action == "approve":
        return Decision.approve(actor=actor)
    if action == "approve_always":
        return Decision.approve_always(actor=actor)
    if action == "edit":
        if body.arguments is None:
            raise InputError("an edit needs 'arguments'")
        return Decision.edit(body.arguments, actor=actor)
    if action == "reject":
        return Decision.reject(body.message, actor=actor)
    if action == "respond":
        return Decision.respond(body.message, actor=actor)
    if action == "confirm":
        return Decision.confirm(actor=actor)
    if action == "correct":
        return Decision.correct(body.message, actor=actor)
    raise InputError(
        f"unknown action {action!r}; use approve, approve_always, edit, reject, respond, "
        "confirm or correct"
    )


def _summary(
    agent: str, thread_id: str, state: RunState | None, result: RunResult | None = None
) -> dict[str, Any]:
    if state is None:
        raise ApiError(500, "the run kept no state", "internal")
    return {
        "agent": agent,
        "thread_id": thread_id,
        "run_id": state.run_id,
        "status": "paused" if state.pending else state.phase,
        "text": result.text if result is not None else state.text,
        "interruptions": [interruption.to_dict() for interruption in state.pending],
    }


def _stream_error(exc: AgentSDKError) -> str:
    return json.dumps(
        {"error": {"message": str(exc), "type": "run_error", "code": type(exc).__name__}}
    )


class _Slots:
    """At most `size` runs at once; more are refused (503) rather than queued."""

    def __init__(self, size: int, retry_after: int, metrics: Metrics) -> None:
        self.size, self.retry_after, self.used = size, retry_after, 0
        self.metrics = metrics

    def enter(self) -> None:
        if self.used >= self.size:
            raise ApiError(
                503,
                f"the server runs {self.size} requests at once already; try again shortly",
                "busy",
                {"Retry-After": str(self.retry_after)},
            )
        self.used += 1
        self.metrics.running.set(self.used)

    def leave(self) -> None:
        self.used -= 1
        self.metrics.running.set(self.used)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()

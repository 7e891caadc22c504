"""What `GET /metrics` reports (prometheus-client, one registry per app): latency per
route, requests refused and why, runs in flight, model tokens and seconds (tokens/s is
their ratio), and the latency of each encoder."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from agentsdk.run.result import RunResult

__all__ = ["Metrics"]


class Metrics:
    """The server's instruments."""

    def __init__(self) -> None:
        self.process = str(os.getpid())
        """The `X-Served-By` header of every response: which replica answered."""
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "agentsdk_request_seconds",
            "Seconds to answer a request, by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.refused = Counter(
            "agentsdk_refused_requests_total",
            "Requests refused, by status (401, 403, 413, 429, 503...)",
            ["status"],
            registry=self.registry,
        )
        self.running = Gauge(
            "agentsdk_runs_in_flight", "Runs in progress now", registry=self.registry
        )
        self.tokens = Counter(
            "agentsdk_output_tokens_total", "Tokens the models wrote", registry=self.registry
        )
        self.model_seconds = Counter(
            "agentsdk_model_seconds_total", "Seconds the models took", registry=self.registry
        )
        self.encoder = Histogram(
            "agentsdk_encoder_seconds",
            "Seconds an encoder took on one part",
            ["encoder"],
            registry=self.registry,
        )

    def ran(self, result: RunResult) -> None:
        """Count what a finished (or paused) run used."""
        self.tokens.inc(result.usage.output_tokens)
        self.model_seconds.inc(result.timings.get("model", 0.0))
        for job, seconds in result.timings.items():
            if job.startswith("encoder:"):
                self.encoder.labels(job.split(":")[1]).observe(seconds)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Served-By"] = self.process
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        self.latency.labels(path, str(response.status_code)).observe(time.perf_counter() - began)
        if response.status_code in (401, 403, 413, 429, 503):
            self.refused.labels(str(response.status_code)).inc()
        return response

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type="text/plain; version=0.0.4")

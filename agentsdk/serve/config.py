"""What `agentsdk serve` is started with, and the app built from it (in the serving
process, or in each Ray replica)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentsdk.errors import MissingDependencyError

__all__ = ["ServeOptions", "build_app"]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """The command's options (see `agentsdk serve --help`)."""

    agents: str
    """FILE.py:NAME or MODULE:NAME: the agents by name (`agentsdk.serve.agents`)."""
    host: str = "127.0.0.1"
    port: int = 8000
    keys: Path | None = None
    max_runs: int = 8
    max_body_mb: float = 32.0
    ray_replicas: int | None = None
    """Replicate with Ray Serve (`--ray --replicas N`); None: one uvicorn process."""


def build_app(options: ServeOptions) -> Any:
    """The ASGI app of `options`: its agents, keys and limits."""
    try:
        from agentsdk.serve import KeyRing, ServerLimits, create_app
        from agentsdk.serve.agents import load_agents
    except ImportError:
        raise MissingDependencyError(
            "agentsdk serve needs FastAPI and uvicorn: pip install 'agentsdk[serve]'"
        ) from None
    keys = None if options.keys is None else KeyRing.load(options.keys)
    limits = ServerLimits(
        max_runs=options.max_runs, max_body_bytes=int(options.max_body_mb * 1024 * 1024)
    )
    return create_app(load_agents(options.agents), keys=keys, limits=limits)

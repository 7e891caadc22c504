"""`agentsdk serve`: the agents of a Python file behind an OpenAI-compatible HTTP API.

Without `--keys` every request is allowed, so the server then listens on loopback only;
`--new-key NAME` prints a fresh key and the line to put in a key file (the file keeps
only its digest).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from agentsdk.errors import ConfigurationError, MissingDependencyError

__all__ = ["ServeOptions", "new_key_entry", "serve"]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    agents: str
    host: str = "127.0.0.1"
    port: int = 8000
    keys: Path | None = None
    max_runs: int = 8
    max_body_mb: float = 32.0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(options: ServeOptions) -> int:
    """Load the agents, build the app and run it with uvicorn until stopped."""
    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError(
            "agentsdk serve needs FastAPI and uvicorn: pip install 'agentsdk[serve]'"
        ) from None
    from agentsdk.serve import KeyRing, ServerLimits, create_app
    from agentsdk.serve.agents import load_agents

    if options.keys is None and not _loopback(options.host):
        raise ConfigurationError(
            f"without --keys the server allows every request; it listens on loopback only, "
            f"not {options.host} (make keys with --new-key)"
        )
    keys = None if options.keys is None else KeyRing.load(options.keys)
    limits = ServerLimits(
        max_runs=options.max_runs, max_body_bytes=int(options.max_body_mb * 1024 * 1024)
    )
    app = create_app(load_agents(options.agents), keys=keys, limits=limits)
    uvicorn.run(app, host=options.host, port=options.port, log_level="info")
    return 0


def new_key_entry(name: str, scopes: str) -> str:
    """A fresh key and the key-file entry that accepts it, as text to print."""
    from agentsdk.serve.security import ApiKey, new_key

    key = new_key()
    entry = ApiKey.of(name, key, [s for s in scopes.split(",") if s]).entry()
    return f"key (give it to the client; it is not stored): {key}\nentry: {json.dumps(entry)}"

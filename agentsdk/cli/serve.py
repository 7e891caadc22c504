"""`agentsdk serve`: the agents of a Python file behind an OpenAI-compatible HTTP API.

`--ray --replicas N` replicates the same app with Ray Serve (`agentsdk.serve.ray_deploy`).
Without `--keys` every request is allowed, so the server then listens on loopback only;
`--new-key NAME` prints a fresh key and the line to put in a key file (the file keeps
only its digest).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace
from pathlib import Path

from agentsdk.errors import ConfigurationError
from agentsdk.serve.config import ServeOptions, build_app

__all__ = ["ServeOptions", "new_key_entry", "serve"]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(options: ServeOptions) -> int:
    """Run the app with uvicorn (or replicated with Ray Serve) until stopped."""
    if options.keys is None and not _loopback(options.host):
        raise ConfigurationError(
            f"without --keys the server allows every request; it listens on loopback only, "
            f"not {options.host} (make keys with --new-key)"
        )
    replicas = options.ray_replicas
    if replicas is not None:
        from agentsdk.serve.ray_deploy import deploy

        if replicas < 1:
            raise ConfigurationError("--replicas must be at least 1")
        if options.keys is not None:
            options = replace(options, keys=options.keys.resolve())
        return deploy(replace(options, agents=_absolute(options.agents)), replicas)
    app = build_app(options)
    import uvicorn

    uvicorn.run(app, host=options.host, port=options.port, log_level="info")
    return 0


def _absolute(spec: str) -> str:
    """A FILE.py:NAME spec with the file's absolute path (replicas have other cwds)."""
    source, _, name = spec.rpartition(":")
    path = Path(source)
    return f"{path.resolve()}:{name}" if source.endswith(".py") or path.is_file() else spec


def new_key_entry(name: str, scopes: str) -> str:
    """A fresh key and the key-file entry that accepts it, as text to print."""
    from agentsdk.serve.security import ApiKey, new_key

    key = new_key()
    entry = ApiKey.of(name, key, [s for s in scopes.split(",") if s]).entry()
    return f"key (give it to the client; it is not stored): {key}\nentry: {json.dumps(entry)}"

"""File helpers shared by the kit and the model loaders: checksums and the cache folder."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

__all__ = ["cache_root", "file_sha256"]

_CHUNK = 1 << 20
_memo: dict[tuple[str, int, int], str] = {}
_memo_lock = threading.Lock()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The file's sha256, computed once per (path, size, mtime) in this process."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    with _memo_lock:
        known = _memo.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with resolved.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    with _memo_lock:
        _memo[key] = value
    return value


def cache_root() -> Path:
    """Where agentsdk keeps converted models and other derived files.

    `AGENTSDK_CACHE` if set, else `$XDG_CACHE_HOME/agentsdk`, else `~/.cache/agentsdk`.
    """
    explicit = os.environ.get("AGENTSDK_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "agentsdk"

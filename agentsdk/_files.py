"""File helpers shared by the kit, the model loaders and the demo: checksums, the cache
folder, and files shipped inside the package."""

from __future__ import annotations

import hashlib
import os
import threading
from importlib import resources
from pathlib import Path

__all__ = ["cache_root", "file_sha256", "package_file"]

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


def package_file(*parts: str) -> Path:
    """A file shipped inside the agentsdk package (package data, e.g. "assets",
    "receipt.png"), as a path on disk, found with importlib.resources: the same from a
    checkout, an editable install or a wheel, whatever the current directory.

    A package imported from a zip has no such path; the file is then copied once into
    `cache_root()/package` and that copy is returned. FileNotFoundError if it is absent."""
    found = resources.files("agentsdk").joinpath(*parts)
    if isinstance(found, Path):
        if not found.is_file():
            raise FileNotFoundError(f"agentsdk ships no file {'/'.join(parts)} ({found})")
        return found
    copy = cache_root().joinpath("package", *parts)
    if not copy.is_file():
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(f"{copy.name}.{os.getpid()}.partial")
        partial.write_bytes(found.read_bytes())  # FileNotFoundError when it is not there
        partial.replace(copy)
    return copy

"""Checksums and the cache folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from agentsdk._files import cache_root, file_sha256


def test_sha256_matches_hashlib_and_notices_changes(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    path.write_bytes(b"a" * 3_000_000)
    assert file_sha256(path) == hashlib.sha256(b"a" * 3_000_000).hexdigest()
    path.write_bytes(b"b" * 10)
    os.utime(path, ns=(1, 1))
    assert file_sha256(path) == hashlib.sha256(b"b" * 10).hexdigest()


def test_cache_root_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AGENTSDK_CACHE", str(tmp_path / "explicit"))
    assert cache_root() == tmp_path / "explicit"
    monkeypatch.delenv("AGENTSDK_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "agentsdk"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "agentsdk"

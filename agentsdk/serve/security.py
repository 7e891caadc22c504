"""Who may call the server, and how much.

API keys are kept as SHA-256 digests only (`hash_key`); a request names its key as
`Authorization: Bearer KEY` (what the `openai` client sends). Each key has scopes:
`run` (chat completions, runs on threads, transcriptions) and `review` (read pending
interruptions, decide on them); and a rate: requests per minute, refused with 429 and
`Retry-After` beyond it (a token bucket per key, refilled continuously).

A key file is JSON: `{"keys": [{"name": "app", "sha256": "...", "scopes": ["run"],
"per_minute": 120}]}`; `agentsdk serve --new-key NAME` prints a fresh key and the entry
to add.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentsdk.errors import ConfigurationError

__all__ = ["ApiKey", "KeyRing", "Scope", "hash_key", "new_key"]

Scope = Literal["run", "review"]
SCOPES: frozenset[str] = frozenset({"run", "review"})


def hash_key(key: str) -> str:
    """The digest a key is stored as."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random key (256 bits)."""
    return "sk-agentsdk-" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One key as the server knows it: its name, digest, scopes and rate."""

    name: str
    sha256: str
    scopes: frozenset[str] = frozenset({"run"})
    per_minute: float = 120.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigurationError("an API key needs a name (it is the reviewer's identity)")
        if len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256):
            raise ConfigurationError(
                f"key {self.name!r}: sha256 must be 64 lowercase hex digits (hash_key(key))"
            )
        unknown = set(self.scopes) - SCOPES
        if unknown:
            raise ConfigurationError(f"key {self.name!r}: unknown scopes {sorted(unknown)}")
        if not (self.per_minute > 0 and math.isfinite(self.per_minute)):
            raise ConfigurationError(f"key {self.name!r}: per_minute must be positive")

    @classmethod
    def of(
        cls, name: str, key: str, scopes: Iterable[str] = ("run",), per_minute: float = 120.0
    ) -> ApiKey:
        """The entry for `key` (hashed here; the key itself is not kept)."""
        return cls(name, hash_key(key), frozenset(scopes), per_minute)

    def entry(self) -> dict[str, Any]:
        """Its line in a key file."""
        return {
            "name": self.name,
            "sha256": self.sha256,
            "scopes": sorted(self.scopes),
            "per_minute": self.per_minute,
        }


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class KeyRing:
    """The keys a server accepts, and what each has used of its rate."""

    keys: tuple[ApiKey, ...]
    _by_digest: dict[str, ApiKey] = field(init=False, repr=False)
    _buckets: dict[str, _Bucket] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._by_digest = {}
        for key in self.keys:
            if key.sha256 in self._by_digest:
                raise ConfigurationError(f"keys {key.name!r} and another have the same digest")
            self._by_digest[key.sha256] = key

    @classmethod
    def load(cls, path: str | Path) -> KeyRing:
        """Keys from a key file (see the module's docstring)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the key file {path}: {exc}") from None
        if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
            raise ConfigurationError(f'{path}: a key file is {{"keys": [...]}}')
        keys = []
        for entry in data["keys"]:
            if not isinstance(entry, Mapping):
                raise ConfigurationError(f"{path}: each key is an object")
            keys.append(
                ApiKey(
                    name=str(entry.get("name") or ""),
                    sha256=str(entry.get("sha256") or ""),
                    scopes=frozenset(entry.get("scopes") or ("run",)),
                    per_minute=float(entry.get("per_minute") or 120.0),
                )
            )
        return cls(tuple(keys))

    def find(self, presented: str) -> ApiKey | None:
        """The key whose digest matches `presented` (compared in constant time)."""
        digest = hash_key(presented)
        for known, key in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                return key
        return None

    def take(self, key: ApiKey) -> float:
        """Spend one request of `key`'s rate: 0.0 when allowed, else the seconds until
        one is available again."""
        now = time.monotonic()
        capacity = max(1.0, key.per_minute / 6)  # a burst of up to 10 s of the rate
        with self._lock:
            bucket = self._buckets.get(key.name)
            if bucket is None:
                bucket = self._buckets[key.name] = _Bucket(capacity, now)
            bucket.tokens = min(
                capacity, bucket.tokens + (now - bucket.updated) * key.per_minute / 60
            )
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) * 60 / key.per_minute

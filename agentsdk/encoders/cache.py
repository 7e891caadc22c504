"""Observations cached by content: an identical image or clip is never encoded twice.

The key is the part's sha256 plus the encoder's name and `cache_key` (model and options),
so a different model or option encodes again. The cache is an LRU bounded by entries;
concurrent requests for the same key wait for the first one instead of encoding twice.
`cached(encoder)` wraps any encoder with the cache; it is itself an encoder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from agentsdk.encoders.base import Encoder, Observation
from agentsdk.errors import ConfigurationError
from agentsdk.media import Media

__all__ = ["CachedEncoder", "ObservationCache", "cached", "default_cache"]


class ObservationCache:
    """A thread-safe LRU of observations keyed by content."""

    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ConfigurationError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, Observation] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Observation | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: str, observation: Observation) -> None:
        with self._lock:
            self._entries[key] = observation
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_compute(self, key: str, compute: Callable[[], Observation]) -> Observation:
        """The cached observation, or `compute()` stored under `key` (once per key)."""
        found = self.get(key)
        if found is None:
            with self._lock:
                gate = self._inflight.setdefault(key, threading.Lock())
            with gate:
                found = self.get(key)
                if found is None:
                    with self._lock:
                        self.misses += 1
                    try:
                        observation = compute()
                        self.put(key, observation)
                        return observation
                    finally:
                        with self._lock:
                            self._inflight.pop(key, None)
        with self._lock:
            self.hits += 1
        return dataclasses.replace(found, seconds=0.0)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


def key_for(encoder: Encoder, part: Media) -> str:
    """Content hash + encoder name + model/options."""
    text = f"{part.sha256}|{encoder.name}|{encoder.cache_key}"
    return hashlib.sha256(text.encode()).hexdigest()


class CachedEncoder:
    """An encoder whose observations go through an `ObservationCache`."""

    def __init__(self, encoder: Encoder, cache: ObservationCache) -> None:
        self.inner = encoder
        self.cache = cache

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def modality(self) -> str:
        return self.inner.modality

    @property
    def cache_key(self) -> str:
        return self.inner.cache_key

    def encode(self, part: Media) -> Observation:
        return self.cache.get_or_compute(key_for(self.inner, part), lambda: self.inner.encode(part))

    def __repr__(self) -> str:
        return f"cached({self.inner!r})"


_default = ObservationCache()


def default_cache() -> ObservationCache:
    """The process-wide cache that kits use unless given another."""
    return _default


def cached(encoder: Encoder, cache: ObservationCache | None = None) -> CachedEncoder:
    """Wrap `encoder` so identical parts are encoded once (in `cache`, default process-wide)."""
    if isinstance(encoder, CachedEncoder):
        return encoder
    return CachedEncoder(encoder, cache if cache is not None else _default)

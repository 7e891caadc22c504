"""The observation cache."""

from __future__ import annotations

import threading
import time
from typing import Literal

import numpy as np
import pytest

from agentsdk import ConfigurationError, Image
from agentsdk.encoders import ObservationCache, cached
from agentsdk.encoders.base import Observation
from agentsdk.media import Audio


class CountingEncoder:
    """An encoder that counts its calls and can be slow."""

    name = "counting"
    modality: Literal["image"] = "image"

    def __init__(self, option: str = "a", delay: float = 0.0) -> None:
        self.cache_key = f"counting|{option}"
        self.calls = 0
        self.delay = delay

    def encode(self, part: Image | Audio) -> Observation:
        self.calls += 1
        time.sleep(self.delay)
        return Observation(
            kind="facts",
            text=f"seen {part.sha256[:6]}",
            confidence=1.0,
            encoder=self.name,
            model="",
            part_id=part.sha256,
            seconds=self.delay + 0.001,
        )


def image(value: int) -> Image:
    return Image(np.full((4, 4, 3), value, np.uint8))


def test_identical_content_is_encoded_once() -> None:
    inner = CountingEncoder()
    encoder = cached(inner, ObservationCache())
    first = encoder.encode(image(1))
    again = encoder.encode(image(1))  # a different object, the same pixels
    assert inner.calls == 1
    assert again == first
    assert first.seconds > 0 and again.seconds == 0.0
    encoder.encode(image(2))
    assert inner.calls == 2
    assert (encoder.cache.hits, encoder.cache.misses) == (1, 2)


def test_other_options_or_encoders_do_not_share_entries() -> None:
    cache = ObservationCache()
    a, b = CountingEncoder("a"), CountingEncoder("b")
    cached(a, cache).encode(image(1))
    cached(b, cache).encode(image(1))
    assert (a.calls, b.calls) == (1, 1)


def test_least_recently_used_entries_are_evicted() -> None:
    inner = CountingEncoder()
    encoder = cached(inner, ObservationCache(max_entries=2))
    for value in (1, 2, 1, 3):  # 1 was used again, so 2 is the one evicted
        encoder.encode(image(value))
    assert len(encoder.cache) == 2
    encoder.encode(image(1))
    assert inner.calls == 3
    encoder.encode(image(2))
    assert inner.calls == 4


def test_concurrent_requests_for_one_part_encode_once() -> None:
    inner = CountingEncoder(delay=0.05)
    encoder = cached(inner, ObservationCache())
    results: list[Observation] = []
    threads = [
        threading.Thread(target=lambda: results.append(encoder.encode(image(9)))) for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inner.calls == 1
    assert len({r.text for r in results}) == 1


def test_errors_are_not_cached() -> None:
    class Flaky(CountingEncoder):
        def encode(self, part: Image | Audio) -> Observation:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("transient")
            return super().encode(part)

    inner = Flaky()
    encoder = cached(inner, ObservationCache())
    with pytest.raises(RuntimeError):
        encoder.encode(image(1))
    assert encoder.encode(image(1)).text.startswith("seen")


def test_wrapping_twice_is_a_no_op_and_keeps_the_protocol() -> None:
    inner = CountingEncoder()
    once = cached(inner, ObservationCache())
    assert cached(once) is once
    assert (once.name, once.modality, once.cache_key) == ("counting", "image", "counting|a")


def test_cache_size_must_be_positive() -> None:
    with pytest.raises(ConfigurationError):
        ObservationCache(max_entries=0)

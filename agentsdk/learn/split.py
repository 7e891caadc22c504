"""The train/test split of an exported dataset: by thread, never by row.

Every row of a thread goes to the same side, so no conversation is half in the training
data and half in the test data (rows of one thread share their prompts' beginnings: a
split by row would leak the test set into training). The side is a pure function of the
thread id and a seed: SHA-256 of `"{seed}:{thread_id}"`, its first 8 bytes read as a
fraction of 2**64; under `test_fraction` is test. A thread keeps its side as the log
grows, and the same seed gives the same split on any machine.
"""

from __future__ import annotations

import hashlib
import math
from typing import Literal

from agentsdk.errors import ConfigurationError

__all__ = ["SPLITS", "Split", "check_split", "position", "split_of"]

Split = Literal["train", "test"]
SPLITS: tuple[Split, Split] = ("train", "test")


def check_split(test_fraction: float, seed: int) -> tuple[float, int]:
    """The settings of a split as they are, or a `ConfigurationError` saying why not."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, int | float):
        raise ConfigurationError(f"test_fraction must be a number, not {test_fraction!r}")
    if not math.isfinite(test_fraction) or not 0.0 <= test_fraction <= 1.0:
        raise ConfigurationError(f"test_fraction must be from 0 to 1, not {test_fraction}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigurationError(f"seed must be an integer, not {seed!r}")
    return float(test_fraction), seed


def position(thread_id: str, seed: int) -> float:
    """Where the thread falls in [0, 1): SHA-256 of "seed:thread_id", as a fraction."""
    digest = hashlib.sha256(f"{seed}:{thread_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(thread_id: str, *, seed: int, test_fraction: float) -> Split:
    """ "test" when the thread's `position` is under `test_fraction`, else "train"."""
    return "test" if position(thread_id, seed) < test_fraction else "train"

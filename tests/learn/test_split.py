"""The split by thread: a pure function of the thread id and the seed."""

from __future__ import annotations

import pytest

from agentsdk import ConfigurationError
from agentsdk.learn.split import check_split, position, split_of


def test_a_thread_s_side_depends_only_on_its_id_and_the_seed() -> None:
    threads = [f"thread-{n}" for n in range(400)]
    sides = [split_of(t, seed=0, test_fraction=0.2) for t in threads]
    assert sides == [split_of(t, seed=0, test_fraction=0.2) for t in threads]
    assert 50 < sides.count("test") < 110  # about a fifth
    assert sides != [split_of(t, seed=1, test_fraction=0.2) for t in threads]


def test_the_edges_of_the_fraction() -> None:
    assert {split_of(f"t{n}", seed=0, test_fraction=0.0) for n in range(50)} == {"train"}
    assert {split_of(f"t{n}", seed=0, test_fraction=1.0) for n in range(50)} == {"test"}
    assert 0.0 <= position("t", 0) < 1.0
    assert position("t", 0) == position("t", 0) != position("t", 1)


@pytest.mark.parametrize(
    ("fraction", "seed", "match"),
    [
        (-0.1, 0, "from 0 to 1"),
        (1.01, 0, "from 0 to 1"),
        (float("nan"), 0, "from 0 to 1"),
        ("0.2", 0, "must be a number"),
        (True, 0, "must be a number"),
        (0.2, 1.5, "seed must be an integer"),
    ],
)
def test_settings_that_cannot_work_are_refused(fraction: object, seed: object, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        check_split(fraction, seed)  # type: ignore[arg-type]

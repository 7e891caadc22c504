"""Confidence intervals of pass rates against published values: Wilson's for one rate,
Newcombe's hybrid score interval for the difference of two (Newcombe, Statistics in
Medicine 1998, 17:873-890, method 10, and 17:857-872 for Wilson's), and his
square-and-add interval for paired data (17:2635-2650, method 10; the value of Fagerland,
Lydersen and Laake's "Statistical Analysis of Contingency Tables", chapter 8)."""

from __future__ import annotations

import pytest

from agentsdk.evals.stats import Z95, newcombe, newcombe_paired, wilson


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (0, 10, (0.0, 0.2775)),
        (5, 10, (0.2366, 0.7634)),
        (10, 10, (0.7225, 1.0)),
        (81, 263, (0.2553, 0.3662)),  # Newcombe's single-proportion example
    ],
)
def test_wilson_matches_published_values(
    successes: int, n: int, expected: tuple[float, float]
) -> None:
    low, high = wilson(successes, n)
    assert low == pytest.approx(expected[0], abs=5e-5)
    assert high == pytest.approx(expected[1], abs=5e-5)
    assert 0.0 <= low <= successes / n <= high <= 1.0


def test_wilson_is_exact_at_the_ends_and_narrows_with_more_cases() -> None:
    assert wilson(0, 3)[0] == 0.0 and wilson(3, 3)[1] == 1.0
    small, large = wilson(7, 10), wilson(70, 100)
    assert large[1] - large[0] < small[1] - small[0]
    assert abs(Z95 - 1.96) < 1e-4
    wide = wilson(5, 10, z=2.576)  # 99%
    assert wide[0] < wilson(5, 10)[0]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((56, 70, 48, 80), (0.0524, 0.3339)),  # Newcombe's example (a): difference 0.2
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((0, 10, 0, 20), (-0.1611, 0.2775)),
        ((0, 10, 0, 10), (-0.2775, 0.2775)),
        ((10, 10, 0, 20), (0.6791, 1.0)),
        ((10, 10, 0, 10), (0.6075, 1.0)),
    ],
)
def test_newcombe_matches_published_values(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    low, high = newcombe(*counts)
    assert low == pytest.approx(expected[0], abs=5e-5)
    assert high == pytest.approx(expected[1], abs=5e-5)
    s1, n1, s2, n2 = counts
    assert low <= s1 / n1 - s2 / n2 <= high


def test_newcombe_is_antisymmetric_and_stays_within_minus_one_and_one() -> None:
    low, high = newcombe(48, 80, 56, 70)
    assert (low, high) == pytest.approx((-0.3339, -0.0524), abs=5e-5)
    assert newcombe(0, 1, 1, 1)[0] == -1.0 and newcombe(1, 1, 0, 1)[1] == 1.0


@pytest.mark.parametrize(("successes", "n"), [(0, 0), (-1, 5), (6, 5)])
def test_impossible_counts_are_refused(successes: int, n: int) -> None:
    with pytest.raises(ValueError, match=r"trial|within"):
        wilson(successes, n)
    with pytest.raises(ValueError):
        newcombe(1, 2, successes, n)


def test_the_paired_interval_matches_the_published_value() -> None:
    # complete response before and after consolidation therapy: 59 both, 6 before only,
    # 16 after only, 80 neither; before minus after is -0.0621
    assert newcombe_paired(59, 6, 16, 80) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


def test_agreeing_runs_give_a_narrower_interval_than_two_samples() -> None:
    # 38 cases: 14 pass in both, 1 only with the adapter, 7 only on the base
    paired = newcombe_paired(14, 1, 7, 16)
    unpaired = newcombe(15, 38, 21, 38)
    assert paired == pytest.approx((-0.2909, -0.0115), abs=5e-5)
    assert unpaired[0] < paired[0] and paired[1] < 0 < unpaired[1]
    # no correlation to use (one run passes every case): the two-sample interval
    assert newcombe_paired(3, 0, 0, 0) == pytest.approx(newcombe(3, 3, 3, 3))
    assert newcombe_paired(2, 1, 0, 0)[1] <= 1.0


def test_paired_counts_that_cannot_be_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        newcombe_paired(1, -1, 0, 0)
    with pytest.raises(ValueError, match="at least one case"):
        newcombe_paired(0, 0, 0, 0)

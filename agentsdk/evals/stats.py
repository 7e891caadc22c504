"""Confidence intervals for pass rates: `wilson` for one rate, `newcombe` for the
difference of two measured on different cases, `newcombe_paired` for the difference of
two measured on the same cases (a model and its adapter, a run and its baseline).

A suite of a few dozen cases measures a pass rate coarsely: 7/10 against 5/10 is a
difference of 20 points whose 95% interval runs from about -20 to +53 points. These
intervals say so next to each comparison. Both are score intervals, which stay inside
[0, 1] and keep close to their nominal coverage at small counts and at rates of 0 or 1,
where the textbook normal ("Wald") interval collapses to a point.
"""

from __future__ import annotations

import math

__all__ = ["Z95", "newcombe", "newcombe_paired", "wilson"]

Z95 = 1.959963984540054
"""The standard normal quantile of 0.975: the z of a two-sided 95% interval."""


def wilson(successes: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval (1927) for a proportion of `successes` out of `n`.

    The bounds are the proportions whose score test does not reject the observed rate
    at level z: `(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`. At 0/n the
    lower bound is exactly 0, at n/n the upper bound exactly 1. ValueError when `n` is
    not positive or `successes` is not within 0..n.

    >>> [round(b, 4) for b in wilson(5, 10)]
    [0.2366, 0.7634]
    """
    if n <= 0:
        raise ValueError(f"a Wilson interval needs at least one trial, not n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..{n}, not {successes}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def newcombe(
    successes_1: int, n_1: int, successes_2: int, n_2: int, *, z: float = Z95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10) for the difference of two
    independent proportions, `successes_1/n_1 - successes_2/n_2`.

    It combines the Wilson intervals (l1, u1) and (l2, u2) of the two proportions:
    `d - sqrt((p1-l1)² + (u2-p2)²)` to `d + sqrt((u1-p1)² + (p2-l2)²)`, where d = p1 - p2.
    Newcombe's example, 56/70 against 48/80, gives 0.2 with an interval of 0.0524 to
    0.3339. When both rates are measured on the same cases (a model and its adapter on
    one suite) the two are paired and usually correlated; this unpaired interval then
    errs on the wide side. ValueError as for `wilson`.

    >>> [round(b, 4) for b in newcombe(56, 70, 48, 80)]
    [0.0524, 0.3339]
    """
    low_1, high_1 = wilson(successes_1, n_1, z=z)
    low_2, high_2 = wilson(successes_2, n_2, z=z)
    p_1, p_2 = successes_1 / n_1, successes_2 / n_2
    difference = p_1 - p_2
    low = difference - math.sqrt((p_1 - low_1) ** 2 + (high_2 - p_2) ** 2)
    high = difference + math.sqrt((high_1 - p_1) ** 2 + (p_2 - low_2) ** 2)
    return max(-1.0, low), min(1.0, high)


def newcombe_paired(
    both: int, first_only: int, second_only: int, neither: int, *, z: float = Z95
) -> tuple[float, float]:
    """Newcombe's square-and-add interval for paired data (1998, method 10) for the
    difference of two pass rates measured on the same cases, first minus second: `both`
    cases passed in both runs, `first_only` only in the first, `second_only` only in the
    second, `neither` in neither.

    The Wilson intervals of the two rates are combined as in `newcombe`, less twice
    their correlation phi (from the 2x2 table, with Newcombe's continuity adjustment:
    0 when the table's cross product is between 0 and n/2). When the two runs agree on
    most cases the interval is much narrower than the unpaired one: 1 case fixed and 7
    broken out of 38 is a difference of -15.8 points, with a paired interval of -29.1
    to -1.1 and an unpaired one of -35.9 to +6.4. ValueError for negative counts or none.

    >>> [round(b, 4) for b in newcombe_paired(59, 6, 16, 80)]
    [-0.1186, -0.0046]
    """
    counts = (both, first_only, second_only, neither)
    if min(counts) < 0:
        raise ValueError(f"counts must not be negative, not {counts}")
    n = sum(counts)
    if n == 0:
        raise ValueError("a paired interval needs at least one case")
    first, second = both + first_only, both + second_only
    low_1, high_1 = wilson(first, n, z=z)
    low_2, high_2 = wilson(second, n, z=z)
    p_1, p_2 = first / n, second / n
    margins = first * (n - first) * second * (n - second)
    phi = 0.0
    if margins:
        cross = both * neither - first_only * second_only
        if cross > n / 2:
            phi = (cross - n / 2) / math.sqrt(margins)
        elif cross < 0:
            phi = cross / math.sqrt(margins)
    down_1, up_2 = p_1 - low_1, high_2 - p_2
    up_1, down_2 = high_1 - p_1, p_2 - low_2
    difference = p_1 - p_2
    low = difference - math.sqrt(max(0.0, down_1**2 + up_2**2 - 2 * phi * down_1 * up_2))
    high = difference + math.sqrt(max(0.0, up_1**2 + down_2**2 - 2 * phi * up_1 * down_2))
    return max(-1.0, low), min(1.0, high)

"""How often two boards (the judges' and the readers') put a pair of models in the same order,
with a Wilson score interval. See the package doc for the method."""

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from math import sqrt
from typing import Final

# z for a two-sided 95% interval.
Z_95: Final = 1.959963984540054


@dataclass(frozen=True)
class Agreement:
    pairs: int
    agree: int
    fraction: float | None
    low: float | None
    high: float | None


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (stays inside [0, 1], sensible at
    0 and n successes); (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials")
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At 0 or n successes one bound is exactly 0 or 1; rounding must not move it inside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def rank_agreement[P](
    first: Mapping[P, float], second: Mapping[P, float], *, tolerance: float = 1e-9
) -> Agreement:
    """Over the pairs of players rated on both boards: how many each board orders the same
    way. A pair that either board rates level (within `tolerance`) is left out: a tie orders
    nothing."""
    players = sorted((p for p in first if p in second), key=str)
    pairs = agree = 0
    for x, y in combinations(players, 2):
        one = first[x] - first[y]
        two = second[x] - second[y]
        if abs(one) <= tolerance or abs(two) <= tolerance:
            continue
        pairs += 1
        agree += (one > 0) == (two > 0)
    if not pairs:
        return Agreement(pairs=0, agree=0, fraction=None, low=None, high=None)
    low, high = wilson_interval(agree, pairs)
    return Agreement(pairs=pairs, agree=agree, fraction=agree / pairs, low=low, high=high)

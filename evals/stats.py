"""The statistics of an evaluation report. Pure: numpy and the standard library, no Django.

- `bootstrap_ci`: a percentile bootstrap interval for a mean (an arm's accuracy);
- `paired_table` and `mcnemar`: the 2x2 table of two arms on the same questions and McNemar's
  test on its discordant cells, exact (binomial), mid-p, and chi-square with continuity
  correction;
- `paired_bootstrap`: the difference of two arms' accuracies on the same questions, with a
  percentile interval and a two-sided p-value from resampling questions (pairs kept together).

Every resampling function takes a `seed`, so a report is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 10_000


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    confidence: float


@dataclass(frozen=True)
class PairedTable:
    """Two arms on the same n questions: both right, only A right, only B right, both wrong."""

    both: int
    a_only: int
    b_only: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.a_only + self.b_only + self.neither


@dataclass(frozen=True)
class McNemar:
    b: int  # discordant: A right, B wrong
    c: int  # discordant: A wrong, B right
    exact_p: float
    mid_p: float
    chi2: float
    chi2_p: float


@dataclass(frozen=True)
class PairedDifference:
    difference: float  # accuracy of A minus accuracy of B
    low: float
    high: float
    p_value: float
    confidence: float


def bootstrap_ci(
    values: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Interval:
    """The mean of `values` with a percentile bootstrap interval. One value or none: the
    interval is the point itself (nothing to resample)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Interval(0.0, 0.0, 0.0, confidence)
    estimate = float(data.mean())
    if data.size == 1:
        return Interval(estimate, estimate, estimate, confidence)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, data.size, size=(resamples, data.size))
    means = data[picks].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(estimate, float(low), float(high), confidence)


def paired_table(a: Sequence[bool], b: Sequence[bool]) -> PairedTable:
    if len(a) != len(b):
        raise ValueError("paired outcomes need the same questions")
    both = sum(1 for x, y in zip(a, b, strict=True) if x and y)
    a_only = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    b_only = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    return PairedTable(both, a_only, b_only, len(a) - both - a_only - b_only)


def _binomial_pmf(k: int, n: int) -> float:
    return float(math.comb(n, k) / 2**n)


def mcnemar(b: int, c: int) -> McNemar:
    """McNemar's test of the discordant counts `b` and `c` (two-sided).

    exact: 2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1;
    mid-p: the exact p minus P(X = min(b, c)) (half the tie counted on each side);
    chi-square: (|b - c| - 1)^2 / (b + c), one degree of freedom (Edwards' correction).
    No discordant pair at all: no evidence either way, every p is 1.
    """
    n = b + c
    if n == 0:
        return McNemar(b, c, 1.0, 1.0, 0.0, 1.0)
    low = min(b, c)
    tail = sum(_binomial_pmf(k, n) for k in range(low + 1))
    exact = min(1.0, 2 * tail)
    mid = min(1.0, 2 * tail - _binomial_pmf(low, n))
    chi2 = max(abs(b - c) - 1, 0) ** 2 / n
    # The chi-square survival function with one degree of freedom.
    chi2_p = math.erfc(math.sqrt(chi2 / 2))
    return McNemar(b, c, exact, mid, chi2, chi2_p)


def paired_bootstrap(
    a: Sequence[bool],
    b: Sequence[bool],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> PairedDifference:
    """Accuracy of A minus accuracy of B on the same questions, resampling questions.

    The interval is the percentile interval of the resampled differences; the p-value is
    two-sided, from the resampled differences shifted to the null of no difference (the
    share at least as far from zero as the observed one)."""
    if len(a) != len(b):
        raise ValueError("paired outcomes need the same questions")
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if diffs.size == 0:
        return PairedDifference(0.0, 0.0, 0.0, 1.0, confidence)
    observed = float(diffs.mean())
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, diffs.size, size=(resamples, diffs.size))
    means = diffs[picks].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    shifted = means - observed
    extreme = int(np.count_nonzero(np.abs(shifted) >= abs(observed) - 1e-12))
    p_value = 1.0 if observed == 0 else min(1.0, (extreme + 1) / (resamples + 1))
    return PairedDifference(observed, float(low), float(high), p_value, confidence)

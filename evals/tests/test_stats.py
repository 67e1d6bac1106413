"""The report's statistics against independent computations: scipy's bootstrap and binomial
test, and a McNemar table worked by hand."""

import numpy as np
import pytest
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from evals.stats import bootstrap_ci, mcnemar, paired_bootstrap, paired_table


@pytest.mark.parametrize(("n", "p_true"), [(30, 0.4), (60, 0.75), (120, 0.1)])
def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap(n: int, p_true: float) -> None:
    outcomes = (np.random.default_rng(n).random(n) < p_true).astype(float)
    ours = bootstrap_ci(list(outcomes), resamples=20_000, seed=1)
    theirs = scipy_stats.bootstrap(
        (outcomes,), np.mean, n_resamples=20_000, method="percentile", rng=2
    ).confidence_interval
    assert ours.estimate == pytest.approx(outcomes.mean())
    # Two independent Monte Carlo runs: the endpoints agree to well under one question.
    assert ours.low == pytest.approx(theirs.low, abs=0.5 / n + 0.01)
    assert ours.high == pytest.approx(theirs.high, abs=0.5 / n + 0.01)
    assert ours.low <= ours.estimate <= ours.high


def test_bootstrap_ci_degenerate_inputs() -> None:
    assert bootstrap_ci([]).estimate == 0.0
    one = bootstrap_ci([1.0])
    assert (one.low, one.estimate, one.high) == (1.0, 1.0, 1.0)
    same = bootstrap_ci([1.0] * 10)
    assert (same.low, same.high) == (1.0, 1.0)


def test_bootstrap_ci_is_reproducible_by_seed() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    assert bootstrap_ci(values, seed=5) == bootstrap_ci(values, seed=5)


def test_mcnemar_against_a_table_worked_by_hand() -> None:
    # 40 questions: both right 20, panel only 10, member only 3, both wrong 7.
    panel = [True] * 20 + [True] * 10 + [False] * 3 + [False] * 7
    member = [True] * 20 + [False] * 10 + [True] * 3 + [False] * 7
    table = paired_table(panel, member)
    assert (table.both, table.a_only, table.b_only, table.neither, table.n) == (20, 10, 3, 7, 40)
    result = mcnemar(table.a_only, table.b_only)
    # n = 13 discordant pairs; P(X <= 3) = (C(13,0)+C(13,1)+C(13,2)+C(13,3)) / 2^13
    #                                    = (1 + 13 + 78 + 286) / 8192 = 378 / 8192.
    assert result.exact_p == pytest.approx(2 * 378 / 8192)  # 0.0923
    # mid-p takes half of P(X = 3) off each tail: 2 * (378 - 286 / 2) / 8192 = 470 / 8192.
    assert result.mid_p == pytest.approx(470 / 8192)  # 0.0574
    # Continuity-corrected chi-square: (|10 - 3| - 1)^2 / 13 = 36 / 13.
    assert result.chi2 == pytest.approx(36 / 13)
    # P(chi2_1 > 36/13) = erfc(sqrt(18/13)), 0.0961 to four places.
    assert result.chi2_p == pytest.approx(0.0961, abs=5e-5)
    assert result.chi2_p == pytest.approx(scipy_stats.chi2.sf(36 / 13, df=1))
    assert result.exact_p == pytest.approx(scipy_stats.binomtest(3, 13, 0.5).pvalue)


@pytest.mark.parametrize(("b", "c"), [(0, 0), (5, 5), (0, 6), (1, 20), (12, 7)])
def test_mcnemar_exact_agrees_with_scipy_binomtest(b: int, c: int) -> None:
    result = mcnemar(b, c)
    expected = 1.0 if b + c == 0 else scipy_stats.binomtest(min(b, c), b + c, 0.5).pvalue
    assert result.exact_p == pytest.approx(expected)
    assert 0 <= result.mid_p <= result.exact_p <= 1


def test_paired_table_needs_the_same_questions() -> None:
    with pytest.raises(ValueError, match="same questions"):
        paired_table([True], [True, False])


def test_paired_bootstrap_difference_and_p_value() -> None:
    a = [True] * 30 + [False] * 10
    b = [True] * 15 + [False] * 15 + [True] * 2 + [False] * 8
    result = paired_bootstrap(a, b, seed=3)
    assert result.difference == pytest.approx(30 / 40 - 17 / 40)
    assert result.low < result.difference < result.high
    assert result.low > 0  # a clear win: the interval excludes zero
    assert result.p_value < 0.01
    tie = paired_bootstrap([True, False] * 10, [False, True] * 10, seed=3)
    assert tie.difference == 0
    assert tie.p_value == 1.0

"""The rating maths (ratings.maths), against hand-computed cases and an independent fit.

The independent Bradley-Terry fit below is written from the definition (penalised
log-likelihood, minimised by scipy's BFGS), sharing no code with the module under test.
"""

import math
from typing import Any

import numpy as np
import pytest
from scipy.optimize import minimize  # type: ignore[import-untyped]

from bench.bench_ratings import full_refit, generate
from ratings import maths as ratings
from ratings.maths import JudgeScore, SeatInfo, bradley_terry

SCALE = 400 / math.log(10)


def js(judge: str, seat: int, total: float, **scores: float) -> JudgeScore:
    return JudgeScore(judge=judge, seat=seat, total=total, scores=scores)


def ranks(results: list[ratings.SeatResult]) -> dict[int, int | None]:
    return {r.seat: r.rank for r in results}


# --- A debate's result -----------------------------------------------------------------------


def test_borda_with_every_judge_scoring_every_seat() -> None:
    # J1: 1 > 2 > 3 gives 2, 1, 0 points; J2: 2 > (1 = 3) gives 2 to seat 2, 0.5 to 1 and 3.
    scores = [
        js("j1", 1, 8), js("j1", 2, 7), js("j1", 3, 6),
        js("j2", 1, 8), js("j2", 2, 9), js("j2", 3, 8),
    ]  # fmt: skip
    assert ratings.borda_scores(scores) == {1: 1.25, 2: 1.5, 3: 0.25}
    results = ratings.rank_seats(scores, [1, 2, 3])
    assert [r.seat for r in results] == [2, 1, 3]
    assert ranks(results) == {2: 1, 1: 2, 3: 3}
    assert results[0].mean == 8.0
    summary = ratings.summarize(results)
    assert summary.champion == 2
    assert summary.runner_up == 1
    assert summary.margin == 0.0  # both average 8: Borda ranks them, means do not


def test_borda_tie_is_broken_by_the_judges_head_to_head_majority() -> None:
    # Seats 1 and 2 both collect 4 Borda points, and share the same mean (25/3); two of
    # three judges put seat 1 above seat 2, so seat 1 wins the tie-break.
    scores = [
        js("j1", 1, 9), js("j1", 2, 8), js("j1", 3, 7),
        js("j2", 1, 9), js("j2", 2, 8), js("j2", 3, 7),
        js("j3", 1, 7), js("j3", 2, 9), js("j3", 3, 8),
    ]  # fmt: skip
    borda = ratings.borda_scores(scores)
    assert borda[1] == pytest.approx(4 / 3)
    assert borda[2] == pytest.approx(4 / 3)
    assert borda[3] == pytest.approx(1 / 3)
    results = ratings.rank_seats(scores, [1, 2, 3])
    assert ranks(results) == {1: 1, 2: 2, 3: 3}
    assert results[0].copeland == 1
    assert results[1].copeland == -1


def test_a_condorcet_cycle_leaves_the_tie_shared() -> None:
    # A rock-paper-scissors panel: equal Borda, and each seat beats one and loses to one.
    scores = [
        js("j1", 1, 9), js("j1", 2, 8), js("j1", 3, 7),
        js("j2", 2, 9), js("j2", 3, 8), js("j2", 1, 7),
        js("j3", 3, 9), js("j3", 1, 8), js("j3", 2, 7),
    ]  # fmt: skip
    results = ratings.rank_seats(scores, [1, 2, 3])
    assert ranks(results) == {1: 1, 2: 1, 3: 1}
    summary = ratings.summarize(results)
    assert summary.champion is None
    assert summary.tied == (1, 2, 3)
    assert summary.margin == 0.0


def test_ties_share_a_rank_and_the_next_rank_is_skipped() -> None:
    scores = [js("j1", 1, 8), js("j1", 2, 8), js("j1", 3, 6)]
    results = ratings.rank_seats(scores, [1, 2, 3])
    assert ratings.borda_scores(scores) == {1: 0.5 + 1, 2: 0.5 + 1, 3: 0.0}
    assert ranks(results) == {1: 1, 2: 1, 3: 3}
    assert ratings.summarize(results).champion is None


def test_a_judge_that_scored_fewer_seats_has_its_points_rescaled() -> None:
    # j1 may not score seat 1 (its own model): 2 scored seats, scaled by (3-1)/(2-1) = 2.
    scores = [
        js("j1", 2, 8), js("j1", 3, 6),
        js("j2", 1, 9), js("j2", 2, 7), js("j2", 3, 5),
    ]  # fmt: skip
    assert ratings.borda_scores(scores) == {1: 2.0, 2: 1.5, 3: 0.0}
    results = ratings.rank_seats(scores, [1, 2, 3])
    assert ranks(results) == {1: 1, 2: 2, 3: 3}
    summary = ratings.summarize(results)
    assert summary.champion == 1
    assert summary.margin == pytest.approx(9 - 7.5)


def test_unjudged_seats_come_last_without_a_rank_and_criteria_are_averaged() -> None:
    scores = [
        js("j1", 1, 8, accuracy=9, reasoning=7),
        js("j2", 1, 6, accuracy=5, reasoning=7),
        js("j1", 2, 7, accuracy=7, reasoning=7),
        js("j2", 2, 7, accuracy=7, reasoning=7),
    ]
    results = ratings.rank_seats(scores, [3, 1, 2], ("accuracy", "reasoning"))
    # One judge prefers each: equal Borda, no head-to-head majority, a shared first place.
    assert [r.seat for r in results] == [1, 2, 3]
    assert [r.rank for r in results] == [1, 1, None]
    unjudged = results[-1]
    assert unjudged.seat == 3
    assert unjudged.rank is None
    assert unjudged.mean is None
    assert unjudged.borda is None
    seat_1 = next(r for r in results if r.seat == 1)
    assert seat_1.criteria == {"accuracy": 7.0, "reasoning": 7.0}
    assert seat_1.judgments == 2


def test_summary_of_a_debate_without_judgments_or_with_one_seat() -> None:
    assert ratings.summarize(ratings.rank_seats([], [1, 2])) == ratings.DebateSummary(
        None, None, None, ()
    )
    alone = ratings.summarize(ratings.rank_seats([js("j", 1, 7)], [1, 2]))
    assert alone.champion == 1
    assert alone.runner_up is None
    assert alone.margin is None


# --- Pairwise outcomes -----------------------------------------------------------------------


def test_pairwise_outcomes_per_judge_and_pair_skipping_same_model_pairs() -> None:
    seats = {
        10: SeatInfo(seat=10, position=0, model="m1", role="proponent"),
        11: SeatInfo(seat=11, position=1, model="m2", role="skeptic"),
        12: SeatInfo(seat=12, position=2, model="m1", role="pragmatist"),
    }
    scores = [
        js("j1", 12, 9), js("j1", 10, 7), js("j1", 11, 7),
        js("j2", 11, 6), js("j2", 10, 8),
    ]  # fmt: skip
    outcomes = ratings.pairwise_outcomes(scores, seats)
    assert outcomes == [
        ratings.Outcome("j1", 10, 11, "tie"),
        ratings.Outcome("j1", 11, 12, "b"),  # (10, 12) is m1 against m1: skipped
        ratings.Outcome("j2", 10, 11, "a"),
    ]


# --- Bradley-Terry ---------------------------------------------------------------------------

# A fixed small history: (a, b, outcome, count) over four models, with ties and a model that
# never wins.
KNOWN = [
    ("alpha", "beta", ratings.A_WINS, 7),
    ("alpha", "beta", ratings.B_WINS, 3),
    ("alpha", "beta", ratings.TIE, 2),
    ("beta", "gamma", ratings.A_WINS, 6),
    ("beta", "gamma", ratings.B_WINS, 4),
    ("alpha", "gamma", ratings.A_WINS, 5),
    ("alpha", "gamma", ratings.TIE, 1),
    ("delta", "alpha", ratings.B_WINS, 4),
    ("delta", "gamma", ratings.B_WINS, 2),
    ("delta", "gamma", ratings.TIE, 1),
]
PLAYERS = ["alpha", "beta", "gamma", "delta"]


def counts_of(rows: list[tuple[str, str, int, int]]) -> ratings.PairCounts:
    index = {p: i for i, p in enumerate(PLAYERS)}
    return ratings.aggregate(
        np.array([index[r[0]] for r in rows]),
        np.array([index[r[1]] for r in rows]),
        np.array([r[2] for r in rows]),
        len(PLAYERS),
        np.array([r[3] for r in rows]),
    )


def reference_fit(scored: np.ndarray, prior: float = 1.0) -> np.ndarray:
    """Bradley-Terry from the definition: maximise sum_ij S_ij log(p_i / (p_i + p_j)) plus one
    virtual tie of every player against a player of strength 1, over log-strengths."""
    size = scored.shape[0]

    def loss(theta: np.ndarray) -> float:
        total = 0.0
        for i in range(size):
            for j in range(size):
                if i != j and scored[i, j]:
                    total += scored[i, j] * math.log(
                        math.exp(theta[i]) / (math.exp(theta[i]) + math.exp(theta[j]))
                    )
            win_ref = math.exp(theta[i]) / (math.exp(theta[i]) + 1.0)
            total += prior * (0.5 * math.log(win_ref) + 0.5 * math.log(1.0 - win_ref))
        return -total

    result = minimize(loss, np.zeros(size), method="BFGS", options={"gtol": 1e-10})
    theta: np.ndarray = result.x
    return theta


def elo(theta: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1000 + SCALE * (theta - theta.mean())
    return result


def test_aggregate_counts_wins_and_ties_both_ways() -> None:
    counts = counts_of(KNOWN)
    assert counts.wins[0, 1] == 7
    assert counts.wins[1, 0] == 3
    assert counts.ties[0, 1] == counts.ties[1, 0] == 2
    assert counts.wins[0, 3] == 4  # delta lost to alpha as "b"
    assert counts.wins[3].sum() == 0
    assert counts.scored()[0, 1] == 8.0


def test_known_dataset_ratings_match_an_independent_maximum_likelihood_fit() -> None:
    counts = counts_of(KNOWN)
    expected = elo(reference_fit(counts.scored()))
    fitted = ratings.rate(PLAYERS, counts, rounds=0)
    by_player = {r.player: r for r in fitted}
    for i, player in enumerate(PLAYERS):
        assert by_player[player].rating == pytest.approx(expected[i], abs=1e-3)
    assert np.mean([r.rating for r in fitted]) == pytest.approx(1000.0)
    assert [r.player for r in fitted] == ["alpha", "beta", "gamma", "delta"]
    alpha = by_player["alpha"]
    assert (alpha.matches, alpha.wins, alpha.losses, alpha.ties) == (22, 16, 3, 3)
    assert alpha.win_rate == pytest.approx((16 + 1.5) / 22)


def test_known_dataset_intervals_match_independent_fits_of_the_same_resamples() -> None:
    counts = counts_of(KNOWN)
    resamples = ratings.bootstrap_scored(counts, rounds=40, seed=7)
    independent = np.array([elo(reference_fit(sample)) for sample in resamples])
    low = np.percentile(independent, 2.5, axis=0)
    high = np.percentile(independent, 97.5, axis=0)
    point = elo(reference_fit(counts.scored()))
    fitted = {r.player: r for r in ratings.rate(PLAYERS, counts, rounds=40, seed=7)}
    for i, player in enumerate(PLAYERS):
        assert fitted[player].ci_low == pytest.approx(min(low[i], point[i]), abs=1e-2)
        assert fitted[player].ci_high == pytest.approx(max(high[i], point[i]), abs=1e-2)
        assert fitted[player].ci_low < fitted[player].rating < fitted[player].ci_high


def test_bootstrap_resamples_keep_the_total_and_are_seeded() -> None:
    counts = counts_of(KNOWN)
    total = counts.wins.sum() + counts.ties.sum() / 2
    first = ratings.bootstrap_scored(counts, rounds=25, seed=3)
    assert first.shape == (25, 4, 4)
    assert np.allclose(first.sum(axis=(1, 2)), total)
    # Only observed cells are drawn: delta never beat anyone, so all it gets is half ties with
    # gamma, the one model it drew with.
    assert first[:, 3, :2].max() == 0
    assert first[:, 3, 3].max() == 0
    assert np.array_equal(first[:, 3, 2] * 2, np.round(first[:, 3, 2] * 2))
    assert np.array_equal(first, ratings.bootstrap_scored(counts, rounds=25, seed=3))
    assert not np.array_equal(first, ratings.bootstrap_scored(counts, rounds=25, seed=4))
    # The mean resample is close to the data.
    assert np.abs(first.mean(axis=0) - counts.scored()).max() < 2.0


def test_a_model_that_never_won_stays_finite_thanks_to_the_prior() -> None:
    counts = ratings.aggregate(np.array([0]), np.array([1]), np.array([0]), 2, np.array([50]))
    fitted = {r.player: r for r in ratings.rate(["winner", "loser"], counts, rounds=50)}
    loser, winner = fitted["loser"], fitted["winner"]
    assert all(math.isfinite(v) for r in fitted.values() for v in (r.rating, r.ci_low, r.ci_high))
    assert loser.rating < 1000 < winner.rating
    assert winner.rating + loser.rating == pytest.approx(2000)
    assert loser.wins == 0
    assert loser.win_rate == 0.0
    # Without the prior the maximum-likelihood gap would be infinite; with it, it is large.
    assert 500 < winner.rating - loser.rating < 2000


def test_ties_count_as_half_a_win_for_each_side() -> None:
    counts = ratings.aggregate(
        np.array([0]), np.array([1]), np.array([ratings.TIE]), 2, np.array([9])
    )
    fitted = ratings.rate(["x", "y"], counts, rounds=20)
    assert [r.rating for r in fitted] == pytest.approx([1000.0, 1000.0])
    assert all(r.rank == 1 for r in fitted)
    assert all(r.ties == 9 for r in fitted)
    assert all(r.win_rate == 0.5 for r in fitted)
    # Three ties are worth one and a half wins: the same fit as 3 wins out of 6 games.
    half = ratings.aggregate(
        np.array([0, 0]), np.array([1, 1]), np.array([0, 2]), 2, np.array([3, 2])
    )
    wins = ratings.aggregate(
        np.array([0, 0]), np.array([1, 1]), np.array([0, 1]), 2, np.array([4, 1])
    )
    assert ratings.fit(half) == pytest.approx(ratings.fit(wins))


def test_ci_aware_ranks_by_hand() -> None:
    low = [10, 15, 30, 5]
    high = [20, 25, 40, 8]
    # 1st: only the third is clearly above (30 > 20); the third is clearly above everyone.
    assert ratings.ci_ranks(low, high) == [2, 2, 1, 4]
    # Overlapping intervals share a rank.
    assert ratings.ci_ranks([0, 5, 9], [10, 12, 20]) == [1, 1, 1]


def test_rate_outcomes_orders_best_first_with_ci_ranks() -> None:
    fitted = ratings.rate_outcomes(KNOWN, rounds=50)
    assert fitted[0].player == "alpha"
    assert fitted[-1].player == "delta"
    assert fitted[0].rank == 1
    assert all(r.ci_low <= r.rating <= r.ci_high for r in fitted)
    assert [r.rank for r in fitted] == sorted(r.rank for r in fitted)
    assert ratings.rate_outcomes([]) == []


def test_chord_fits_of_resamples_agree_with_newton() -> None:
    counts = counts_of(KNOWN)
    center = ratings.fit(counts)
    resamples = ratings.bootstrap_scored(counts, rounds=30, seed=11)
    chord = ratings.fit_near(resamples, center)
    newton = ratings.fit_batch(resamples)
    assert np.abs(chord - newton).max() < 1e-6


def test_the_benchmark_refit_runs_on_a_small_dataset() -> None:
    data = generate(outcomes=5_000, models=8, seed=2)
    timings = full_refit(data, rounds=10)
    assert set(timings) == {"overall", *(f"category {c}" for c in range(7)), "roles (model x role)"}
    assert all(seconds >= 0 for seconds in timings.values())


def test_chord_fits_fall_back_to_newton_far_from_the_center(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A lopsided history fitted from a bad center (all equal): the chord steps overshoot, and
    # the fallback still lands on the maximum-likelihood fit.
    counts = ratings.aggregate(
        np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([0, 0, 0]), 3, np.array([400, 300, 2])
    )
    scored = counts.scored()[None]
    newton = bradley_terry._newton
    calls: list[int] = []

    def counting(*args: Any) -> np.ndarray:
        calls.append(1)
        return newton(*args)

    monkeypatch.setattr(bradley_terry, "_newton", counting)
    far = ratings.fit_near(scored, np.zeros(3), max_iter=3)
    assert calls == [1]
    assert np.abs(far - ratings.fit_batch(scored)).max() < 1e-6


def test_aggregate_with_an_outcome_type_missing() -> None:
    counts = ratings.aggregate(np.array([0]), np.array([1]), np.array([ratings.TIE]), 2)
    assert counts.wins.dtype == np.float64
    assert counts.wins.sum() == 0
    assert counts.ties[0, 1] == counts.ties[1, 0] == 1

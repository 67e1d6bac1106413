"""Rating maths, pure functions (NumPy, no ORM): a debate's result, pairwise outcomes, and
Bradley-Terry model ratings with bootstrap intervals and CI-aware ranks.

A debate's result
    Each judge's scores rank the seats it scored. A seat earns Borda points from each judge:
    one point per seat that judge scored lower, half a point per seat it scored the same. A
    judge that scored m of the n judged seats has its points scaled by (n - 1) / (m - 1), so a
    seat its own model's judge could not score is not penalised, and a seat's Borda score is
    the mean over the judges that scored it (with every judge scoring every seat this is the
    classic Borda count divided by the number of judges). Seats tied on Borda are ordered by
    their Copeland score among the tied seats: pairwise wins minus losses, where X beats Y
    when more judges (of those that scored both) scored X above Y than Y above X. Seats still
    tied share a rank ("1, 2, 2, 4"). The champion is the only seat ranked first (none when
    first place is shared); the margin is the champion's mean score minus the runner-up's.

Pairwise outcomes
    Every pair of seats scored by the same judge is one outcome between the two seats' models:
    the higher total wins, equal totals are a tie. Pairs of seats of the same model are skipped.

Ratings
    Bradley-Terry, fitted by maximum likelihood with Newton's method on the log-strengths.
    A tie counts as half a win for each side (as LMArena does; not the Davidson model). A small
    prior keeps every rating finite, even for a model that never won: each model is credited
    with one virtual tie against a reference player of strength 1. Ratings are on an Elo-like
    scale, 1000 + 400 * log10(strength), anchored so that the mean rating of the scope's
    models is 1000. 95% intervals come from a seeded bootstrap that resamples the aggregated
    outcome counts (multinomially, all cells at once) and refits each resample; the interval
    is the 2.5th to 97.5th percentile of the resampled ratings. The rank is CI-aware, as on
    LMArena: 1 + the number of models whose lower bound is above this model's upper bound, so
    models whose intervals overlap share a rank.

Readers' votes
    A reader's vote on a finished debate becomes pairwise outcomes of the same shape: the seat
    voted best beats each other seat (pairs between two other seats say nothing and are not
    recorded); "tie" and "all bad" are a tie between every pair of seats (LMArena counts "both
    bad" as a tie too). Pairs of seats of the same model are skipped. The readers' board is then
    fitted by exactly the code above, from these outcomes only: the two boards are never mixed.

Agreement of two boards
    Over the pairs of models rated on both boards (in one category, or overall), the fraction
    the two boards order the same way by their point ratings; pairs rated level on either board
    are left out. Its 95% interval is Wilson's score interval for a binomial proportion. The
    pairs share models, so they are not independent: read the interval as a guide, narrower
    than the truth.
"""

from ratings.maths.agreement import Agreement, rank_agreement, wilson_interval
from ratings.maths.bradley_terry import (
    A_WINS,
    B_WINS,
    BASE_RATING,
    BOOTSTRAP_ROUNDS,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    PRIOR_GAMES,
    SCALE,
    TIE,
    PairCounts,
    Rating,
    aggregate,
    bootstrap_scored,
    ci_ranks,
    fit,
    fit_batch,
    fit_near,
    rate,
    rate_outcomes,
    to_ratings,
)
from ratings.maths.results import (
    DebateSummary,
    JudgeScore,
    Outcome,
    SeatInfo,
    SeatResult,
    borda_scores,
    judge_majorities,
    pairwise_outcomes,
    rank_seats,
    summarize,
    vote_outcomes,
)

__all__ = [
    "A_WINS",
    "BASE_RATING",
    "BOOTSTRAP_ROUNDS",
    "BOOTSTRAP_SEED",
    "B_WINS",
    "CONFIDENCE",
    "PRIOR_GAMES",
    "SCALE",
    "TIE",
    "Agreement",
    "DebateSummary",
    "JudgeScore",
    "Outcome",
    "PairCounts",
    "Rating",
    "SeatInfo",
    "SeatResult",
    "aggregate",
    "bootstrap_scored",
    "borda_scores",
    "ci_ranks",
    "fit",
    "fit_batch",
    "fit_near",
    "judge_majorities",
    "pairwise_outcomes",
    "rank_agreement",
    "rank_seats",
    "rate",
    "rate_outcomes",
    "summarize",
    "to_ratings",
    "vote_outcomes",
    "wilson_interval",
]

"""Bradley-Terry ratings: aggregation, maximum-likelihood fit (Newton; chord iterations for
bootstrap resamples), multinomial bootstrap, Elo-like scale and CI-aware ranks. See the
package doc for the method."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

TOLERANCE: Final = 1e-9
SCALE: Final = 400.0 / np.log(10.0)  # log-strength -> Elo-like points
BASE_RATING: Final = 1000.0
PRIOR_GAMES: Final = 1.0
BOOTSTRAP_ROUNDS: Final = 100
BOOTSTRAP_SEED: Final = 20_250_501
CONFIDENCE: Final = 0.95

# Outcome codes of aggregated pairwise outcomes.
A_WINS: Final = 0
B_WINS: Final = 1
TIE: Final = 2

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PairCounts:
    """Aggregated outcomes of K players: wins[i, j] = times i beat j; ties[i, j] = ties[j, i]."""

    wins: FloatArray
    ties: FloatArray

    @property
    def size(self) -> int:
        return int(self.wins.shape[0])

    def scored(self) -> FloatArray:
        """Wins with each tie counted as half a win for both sides."""
        return self.wins + 0.5 * self.ties


def aggregate(
    a: NDArray[np.integer],
    b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    size: int,
    counts: NDArray[np.integer] | None = None,
) -> PairCounts:
    """Fold outcome rows (player a, player b, A_WINS/B_WINS/TIE, optional multiplicity) into
    count matrices, one bincount per outcome type."""
    weight = np.ones(len(a), dtype=np.float64) if counts is None else counts.astype(np.float64)
    cells = size * size
    a_idx = np.asarray(a, dtype=np.int64)
    b_idx = np.asarray(b, dtype=np.int64)
    code = np.asarray(outcome)
    ab = a_idx * size + b_idx
    ba = b_idx * size + a_idx
    # Start from float zeros: bincount of an empty selection is an integer array.
    wins = np.zeros(cells)
    wins += np.bincount(ab[code == A_WINS], weight[code == A_WINS], minlength=cells)
    wins += np.bincount(ba[code == B_WINS], weight[code == B_WINS], minlength=cells)
    tie = code == TIE
    ties = np.zeros(cells)
    ties += np.bincount(ab[tie], weight[tie], minlength=cells)
    ties += np.bincount(ba[tie], weight[tie], minlength=cells)
    return PairCounts(wins=wins.reshape(size, size), ties=ties.reshape(size, size))


def _objective(theta: FloatArray, scored: FloatArray, prior: float) -> FloatArray:
    """Log-likelihood (with the prior) of each row of theta (B, K) given scored (B, K, K)."""
    size = theta.shape[1]
    upper_i, upper_j = np.triu_indices(size, k=1)
    diff = theta[:, upper_i] - theta[:, upper_j]
    # log sigmoid(d), stable for any d; log sigmoid(-d) = log sigmoid(d) - d.
    log_win = np.minimum(diff, 0.0) - np.log1p(np.exp(-np.abs(diff)))
    games = np.sum(
        scored[:, upper_i, upper_j] * log_win + scored[:, upper_j, upper_i] * (log_win - diff),
        axis=1,
    )
    log_ref = np.minimum(theta, 0.0) - np.log1p(np.exp(-np.abs(theta)))
    virtual = 0.5 * prior * np.sum(2.0 * log_ref - theta, axis=1)
    result: FloatArray = games + virtual
    return result


# Work on batches small enough for the allocator to reuse memory (a fresh 100 MB array per
# step costs more in page faults than the arithmetic).
_CHUNK_BYTES = 4 * 1024 * 1024


def _chunks(batch: int, size: int) -> list[slice]:
    step = max(1, _CHUNK_BYTES // (8 * size * size))
    return [slice(begin, begin + step) for begin in range(0, batch, step)]


def _sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0)))
    return result


def _gradient(theta: FloatArray, games: FloatArray, won: FloatArray, prior: float) -> FloatArray:
    """d log-likelihood / d theta for a batch: observed minus expected wins, plus the prior."""
    p = _sigmoid(theta[:, :, None] - theta[:, None, :])
    result: FloatArray = won - np.sum(games * p, axis=2) + prior * (0.5 - _sigmoid(theta))
    return result


def _information(theta: FloatArray, games: FloatArray, prior: float) -> FloatArray:
    """The negated Hessian: a weighted graph Laplacian plus the prior's diagonal, symmetric
    positive definite."""
    p = _sigmoid(theta[:, :, None] - theta[:, None, :])
    ref = _sigmoid(theta)
    curvature = games * p * (1.0 - p)
    information = -curvature
    diagonal = np.eye(theta.shape[1], dtype=bool)
    information[:, diagonal] = curvature.sum(axis=2) + prior * ref * (1.0 - ref)
    return information


def fit_batch(
    scored: FloatArray,
    *,
    prior: float = PRIOR_GAMES,
    start: FloatArray | None = None,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> FloatArray:
    """Maximum-likelihood log-strengths for a batch of win matrices (B, K, K), by Newton's
    method with step halving (the log-likelihood with its prior is strictly concave)."""
    batch, size = scored.shape[0], scored.shape[1]
    theta = np.zeros((batch, size)) if start is None else np.array(start, dtype=np.float64)
    for window in _chunks(batch, size):
        theta[window] = _newton(scored[window], theta[window], prior, max_iter, tol)
    return theta


def _newton(
    scored: FloatArray, theta: FloatArray, prior: float, max_iter: int, tol: float
) -> FloatArray:
    games = scored + np.swapaxes(scored, 1, 2)
    won = scored.sum(axis=2)
    value = _objective(theta, scored, prior)
    for _ in range(max_iter):
        gradient = _gradient(theta, games, won, prior)
        information = _information(theta, games, prior)
        step = np.linalg.solve(information, gradient[:, :, None])[:, :, 0]
        scale = np.ones(len(theta))
        candidate = theta + step
        new_value = _objective(candidate, scored, prior)
        for _halving in range(50):
            worse = new_value < value - 1e-12 * np.abs(value)
            if not worse.any():
                break
            scale[worse] *= 0.5
            candidate[worse] = theta[worse] + scale[worse, None] * step[worse]
            new_value[worse] = _objective(candidate[worse], scored[worse], prior)
        theta, value = candidate, new_value
        if np.max(np.abs(scale[:, None] * step)) <= tol:
            break
    return theta


def fit_near(
    scored: FloatArray,
    center: FloatArray,
    *,
    prior: float = PRIOR_GAMES,
    max_iter: int = 30,
    tol: float = 1e-9,
) -> FloatArray:
    """Fits of a batch of win matrices that are all close to one whose fit is `center` (the
    bootstrap resamples of it): chord iterations, Newton's with the information matrix at
    the center inverted once, so each step is a matrix product instead of a solve. A resample
    whose steps stop shrinking is finished by full Newton instead."""
    batch, size = scored.shape[0], scored.shape[1]
    games_center = np.mean(scored + np.swapaxes(scored, 1, 2), axis=0)
    inverse = np.linalg.inv(_information(center[None], games_center[None], prior)[0])
    theta = np.repeat(center[None], batch, axis=0)
    for window in _chunks(batch, size):
        part = scored[window]
        games = part + np.swapaxes(part, 1, 2)
        won = part.sum(axis=2)
        current = theta[window]
        active = np.ones(len(current), dtype=bool)
        failed = np.zeros(len(current), dtype=bool)
        previous = np.full(len(current), np.inf)
        for _ in range(max_iter):
            rows = np.flatnonzero(active)
            step = _gradient(current[rows], games[rows], won[rows], prior) @ inverse
            moved = np.max(np.abs(step), axis=1)
            shrinking = moved < previous[rows]
            current[rows[shrinking]] += step[shrinking]
            previous[rows] = moved
            failed[rows[~shrinking]] = True
            active[rows[~shrinking]] = False
            active[rows[shrinking & (moved <= tol)]] = False
            if not active.any():
                break
        failed |= active  # still moving after max_iter steps
        if failed.any():
            current[failed] = _newton(
                part[failed], np.repeat(center[None], failed.sum(), axis=0), prior, 100, tol
            )
        theta[window] = current
    return theta


def fit(counts: PairCounts, *, prior: float = PRIOR_GAMES) -> FloatArray:
    """Log-strengths (unanchored) of one set of counts."""
    theta: FloatArray = fit_batch(counts.scored()[None], prior=prior)[0]
    return theta


def to_ratings(theta: NDArray[np.float64]) -> FloatArray:
    """Elo-like ratings, anchored so that the mean rating (along the last axis) is 1000."""
    centered = theta - theta.mean(axis=-1, keepdims=True)
    result: FloatArray = BASE_RATING + SCALE * centered
    return result


def bootstrap_scored(counts: PairCounts, *, rounds: int, seed: int) -> FloatArray:
    """`rounds` resampled win matrices (ties as halves): one multinomial draw over the
    aggregated cells (pair, outcome) with the observed total, for all rounds at once."""
    size = counts.size
    upper_i, upper_j = np.triu_indices(size, k=1)
    kinds = (
        counts.wins[upper_i, upper_j],  # i beat j
        counts.wins[upper_j, upper_i],  # j beat i
        counts.ties[upper_i, upper_j],
    )
    observed = np.concatenate(kinds)
    cell_i = np.tile(upper_i, 3)
    cell_j = np.tile(upper_j, 3)
    kind = np.repeat(np.arange(3), len(upper_i))
    keep = observed > 0
    observed, cell_i, cell_j, kind = observed[keep], cell_i[keep], cell_j[keep], kind[keep]
    total = int(np.rint(observed.sum()))
    rng = np.random.default_rng(seed)
    if total == 0:
        return np.zeros((rounds, size, size))
    draws = rng.multinomial(total, observed / observed.sum(), size=rounds).astype(np.float64)
    scored = np.zeros((rounds, size * size))
    ij, ji = cell_i * size + cell_j, cell_j * size + cell_i
    scored[:, ij[kind == 0]] += draws[:, kind == 0]
    scored[:, ji[kind == 1]] += draws[:, kind == 1]
    scored[:, ij[kind == 2]] += 0.5 * draws[:, kind == 2]
    scored[:, ji[kind == 2]] += 0.5 * draws[:, kind == 2]
    return scored.reshape(rounds, size, size)


def ci_ranks(low: Sequence[float] | FloatArray, high: Sequence[float] | FloatArray) -> list[int]:
    """1 + the number of models whose lower bound exceeds this model's upper bound."""
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    return [int(1 + np.sum(lo > upper + TOLERANCE)) for upper in hi]


@dataclass(frozen=True)
class Rating:
    player: Hashable
    rating: float
    ci_low: float
    ci_high: float
    rank: int
    matches: int
    wins: int
    losses: int
    ties: int

    @property
    def win_rate(self) -> float:
        """Wins plus half the ties, per match."""
        return (self.wins + 0.5 * self.ties) / self.matches if self.matches else 0.0


def rate(
    players: Sequence[Hashable],
    counts: PairCounts,
    *,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = BOOTSTRAP_SEED,
    prior: float = PRIOR_GAMES,
    confidence: float = CONFIDENCE,
) -> list[Rating]:
    """Ratings, intervals and CI-aware ranks of `players` (counts are indexed like them),
    best first."""
    if not players:
        return []
    theta = fit(counts, prior=prior)
    point = to_ratings(theta)
    if rounds > 0:
        resampled = fit_near(bootstrap_scored(counts, rounds=rounds, seed=seed), theta, prior=prior)
        spread = to_ratings(resampled)
        tail = (1.0 - confidence) / 2.0 * 100.0
        low = np.percentile(spread, tail, axis=0)
        high = np.percentile(spread, 100.0 - tail, axis=0)
        # The point estimate is always inside its interval, whatever the resampling noise.
        low, high = np.minimum(low, point), np.maximum(high, point)
    else:
        low, high = point.copy(), point.copy()
    ranks = ci_ranks(low, high)
    wins = np.rint(counts.wins.sum(axis=1)).astype(np.int64)
    losses = np.rint(counts.wins.sum(axis=0)).astype(np.int64)
    ties = np.rint(counts.ties.sum(axis=1)).astype(np.int64)
    ratings = [
        Rating(
            player=player,
            rating=float(point[i]),
            ci_low=float(low[i]),
            ci_high=float(high[i]),
            rank=ranks[i],
            matches=int(wins[i] + losses[i] + ties[i]),
            wins=int(wins[i]),
            losses=int(losses[i]),
            ties=int(ties[i]),
        )
        for i, player in enumerate(players)
    ]
    ratings.sort(key=lambda r: (r.rank, -r.rating))
    return ratings


def rate_outcomes(
    rows: Sequence[tuple[Hashable, Hashable, int, int]],
    *,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = BOOTSTRAP_SEED,
    prior: float = PRIOR_GAMES,
) -> list[Rating]:
    """Ratings from aggregated rows (player a, player b, outcome code, count)."""
    index: dict[Hashable, int] = {}
    for a, b, _code, _n in rows:
        index.setdefault(a, len(index))
        index.setdefault(b, len(index))
    if not index:
        return []
    counts = aggregate(
        np.array([index[row[0]] for row in rows], dtype=np.int64),
        np.array([index[row[1]] for row in rows], dtype=np.int64),
        np.array([row[2] for row in rows], dtype=np.int64),
        len(index),
        np.array([row[3] for row in rows], dtype=np.int64),
    )
    return rate(list(index), counts, rounds=rounds, seed=seed, prior=prior)

"""How long a full ratings refit takes over a large history.

Generates synthetic pairwise outcomes (default 1,000,000 over 50 models, 7 categories and 5
roles; ~10% ties, the rest drawn from a Bradley-Terry model with known strengths), then runs
what `ratings_refit_all` runs for one board, minus the database: aggregate the outcomes into
win matrices, fit Bradley-Terry, bootstrap the 95% intervals (multinomial resampling of the
aggregated counts) and rank, for every scope: overall, each category, and the role family
(players are model x role: 250 of them). The target is under 10 s on a 2-core machine.

    python -m bench.bench_ratings [--outcomes 10000,100000,1000000] [--runs 3] [--models 50]
        [--rounds 100]
"""

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ratings import maths as ratings

CATEGORIES = 7
ROLES = 5
TIE_SHARE = 0.1
TARGET_SECONDS = 10.0
RESULTS = Path(__file__).resolve().parent / "results" / "bench_ratings.json"

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Synthetic:
    models: int
    strength: NDArray[np.float64]  # true log-strengths
    a: IntArray
    b: IntArray
    outcome: IntArray
    category: IntArray
    role_a: IntArray
    role_b: IntArray


def generate(*, outcomes: int, models: int, seed: int = 1) -> Synthetic:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 0.8, models)
    a = rng.integers(0, models, outcomes)
    b = (a + rng.integers(1, models, outcomes)) % models  # never a model against itself
    p_a = 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    outcome = np.where(rng.random(outcomes) < p_a, ratings.A_WINS, ratings.B_WINS)
    outcome[rng.random(outcomes) < TIE_SHARE] = ratings.TIE
    return Synthetic(
        models=models,
        strength=strength,
        a=a,
        b=b,
        outcome=outcome,
        category=rng.integers(0, CATEGORIES, outcomes),
        role_a=rng.integers(0, ROLES, outcomes),
        role_b=rng.integers(0, ROLES, outcomes),
    )


def _scope(
    a: IntArray, b: IntArray, outcome: IntArray, size: int, rounds: int
) -> list[ratings.Rating]:
    """One scope as the service does it: only players that played, indexed densely."""
    present, dense = np.unique(np.concatenate([a, b]), return_inverse=True)
    counts = ratings.aggregate(dense[: len(a)], dense[len(a) :], outcome, len(present))
    return ratings.rate([int(p) for p in present], counts, rounds=rounds)


def full_refit(data: Synthetic, *, rounds: int = ratings.BOOTSTRAP_ROUNDS) -> dict[str, float]:
    """Every scope of one board; returns the seconds each scope took."""
    timings: dict[str, float] = {}

    def timed(name: str, work: Callable[[], list[ratings.Rating]]) -> list[ratings.Rating]:
        started = time.perf_counter()
        result = work()
        timings[name] = time.perf_counter() - started
        return result

    size = data.models
    timed("overall", lambda: _scope(data.a, data.b, data.outcome, size, rounds))
    for category in range(CATEGORIES):
        mask = data.category == category
        timed(
            f"category {category}",
            partial(_scope, data.a[mask], data.b[mask], data.outcome[mask], size, rounds),
        )
    timed(
        "roles (model x role)",
        lambda: _scope(
            data.a * ROLES + data.role_a,
            data.b * ROLES + data.role_b,
            data.outcome,
            size * ROLES,
            rounds,
        ),
    )
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--outcomes", default="1000000", help="how many outcomes; comma-separated for several"
    )
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=ratings.BOOTSTRAP_ROUNDS)
    parser.add_argument("--runs", type=int, default=3, help="refits per size (median kept)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": [round(v, 2) for v in os.getloadavg()],
        "sizes": [],
    }
    for size in [int(v) for v in str(args.outcomes).split(",") if v]:
        results["sizes"].append(_measure(size, args))
    results["load_after"] = [round(v, 2) for v in os.getloadavg()]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def _measure(size: int, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    data = generate(outcomes=size, models=args.models, seed=args.seed)
    print(f"generated {size:,} outcomes in {time.perf_counter() - started:.2f} s")
    totals = []
    timings: dict[str, float] = {}
    for _run in range(args.runs):
        started = time.perf_counter()
        timings = full_refit(data, rounds=args.rounds)
        totals.append(time.perf_counter() - started)
    for name, seconds in timings.items():
        print(f"  {name:<22} {seconds:6.2f} s")
    overall = _scope(data.a, data.b, data.outcome, data.models, rounds=0)
    fitted = np.array([r.rating for r in sorted(overall, key=lambda r: int(str(r.player)))])
    # Ties (drawn apart from the strengths) pull ratings together; the order must survive.
    correlation = float(np.corrcoef(fitted, data.strength)[0, 1])
    print(f"overall ratings vs the true strengths: correlation {correlation:.4f}")
    total = statistics.median(totals)
    verdict = "OK" if total < TARGET_SECONDS else "TOO SLOW"
    print(
        f"{size:,} outcomes: full refit ({args.rounds} bootstrap rounds, {len(timings)} "
        f"scopes) median {total:.2f} s of {args.runs} [{verdict}, target < "
        f"{TARGET_SECONDS:.0f} s]",
        flush=True,
    )
    return {
        "outcomes": size,
        "refit_median_s": round(total, 3),
        "refit_runs_s": [round(t, 3) for t in totals],
        "correlation": round(correlation, 4),
        "load": [round(v, 2) for v in os.getloadavg()],
    }


if __name__ == "__main__":
    main()

"""A debate's result (Borda count with a Condorcet tie-break) and the pairwise outcomes it
gives the ratings. See the package doc for the method."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Final

TOLERANCE: Final = 1e-9


@dataclass(frozen=True)
class JudgeScore:
    """One completed judgment: `judge` scored `seat` with `total` (and per-criterion scores)."""

    judge: str
    seat: int
    total: float
    scores: Mapping[str, float] = field(default_factory=dict)


@dataclass
class SeatResult:
    seat: int
    judgments: int
    mean: float | None
    criteria: dict[str, float]
    borda: float | None
    copeland: int
    rank: int | None


@dataclass(frozen=True)
class DebateSummary:
    champion: int | None
    runner_up: int | None
    margin: float | None
    tied: tuple[int, ...]  # seats sharing first place, when no single champion


def _by_judge(scores: Sequence[JudgeScore]) -> dict[str, dict[int, float]]:
    judges: dict[str, dict[int, float]] = defaultdict(dict)
    for score in scores:
        judges[score.judge][score.seat] = score.total
    return judges


def _compare(x: float, y: float) -> int:
    if abs(x - y) <= TOLERANCE:
        return 0
    return 1 if x > y else -1


def borda_scores(scores: Sequence[JudgeScore]) -> dict[int, float]:
    """Each seat's mean Borda points over the judges that scored it (see the module doc)."""
    judges = _by_judge(scores)
    seats = {score.seat for score in scores}
    n = len(seats)
    points: dict[int, list[float]] = defaultdict(list)
    for judged in judges.values():
        m = len(judged)
        if m < 2:
            continue
        scale = (n - 1) / (m - 1)
        for seat, total in judged.items():
            beaten = sum(_compare(total, other) > 0 for s, other in judged.items() if s != seat)
            tied = sum(_compare(total, other) == 0 for s, other in judged.items() if s != seat)
            points[seat].append((beaten + 0.5 * tied) * scale)
    return {
        seat: (sum(points[seat]) / len(points[seat]) if points[seat] else 0.0) for seat in seats
    }


def judge_majorities(scores: Sequence[JudgeScore]) -> dict[tuple[int, int], int]:
    """For each ordered pair (x, y): how many judges scored x above y."""
    prefer: dict[tuple[int, int], int] = defaultdict(int)
    for judged in _by_judge(scores).values():
        for (x, tx), (y, ty) in combinations(judged.items(), 2):
            order = _compare(tx, ty)
            if order > 0:
                prefer[(x, y)] += 1
            elif order < 0:
                prefer[(y, x)] += 1
    return prefer


def rank_seats(
    scores: Sequence[JudgeScore], seats: Sequence[int], criteria: Sequence[str] = ()
) -> list[SeatResult]:
    """Seats ranked by Borda with a Condorcet (Copeland) tie-break; unjudged seats last with
    no rank. `seats` gives every seat in panel order, which also orders seats that share a
    rank."""
    totals: dict[int, list[float]] = defaultdict(list)
    per_criterion: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for score in scores:
        totals[score.seat].append(score.total)
        for name in criteria:
            if name in score.scores:
                per_criterion[score.seat][name].append(float(score.scores[name]))
    borda = borda_scores(scores)
    prefer = judge_majorities(scores)

    results = []
    for seat in seats:
        values = totals.get(seat, [])
        results.append(
            SeatResult(
                seat=seat,
                judgments=len(values),
                mean=sum(values) / len(values) if values else None,
                criteria={name: sum(v) / len(v) for name, v in per_criterion[seat].items() if v},
                borda=borda.get(seat) if values else None,
                copeland=0,
                rank=None,
            )
        )
    judged = [r for r in results if r.borda is not None]
    unjudged = [r for r in results if r.borda is None]
    # Group seats tied on Borda, then order each group by Copeland score within it.
    judged.sort(key=lambda r: -(r.borda or 0.0))
    groups: list[list[SeatResult]] = []
    for result in judged:
        if groups and _compare(groups[-1][0].borda or 0.0, result.borda or 0.0) == 0:
            groups[-1].append(result)
        else:
            groups.append([result])
    ordered: list[SeatResult] = []
    for group in groups:
        for result in group:
            result.copeland = sum(
                (prefer[(result.seat, other.seat)] > prefer[(other.seat, result.seat)])
                - (prefer[(result.seat, other.seat)] < prefer[(other.seat, result.seat)])
                for other in group
                if other is not result
            )
        ordered += sorted(group, key=lambda r: -r.copeland)
    rank = 0
    previous: tuple[float, int] | None = None
    for index, result in enumerate(ordered, start=1):
        key = (result.borda or 0.0, result.copeland)
        if previous is None or _compare(previous[0], key[0]) != 0 or previous[1] != key[1]:
            rank, previous = index, key
        result.rank = rank
    return [*ordered, *unjudged]


def summarize(results: Sequence[SeatResult]) -> DebateSummary:
    """The champion (only seat ranked first), the runner-up and the margin in mean score."""
    ranked = [r for r in results if r.rank is not None]
    if not ranked:
        return DebateSummary(champion=None, runner_up=None, margin=None, tied=())
    first = [r for r in ranked if r.rank == 1]
    if len(first) > 1:
        return DebateSummary(
            champion=None, runner_up=None, margin=0.0, tied=tuple(r.seat for r in first)
        )
    champion = first[0]
    rest = [r for r in ranked if r.rank != 1]
    if not rest:
        return DebateSummary(champion=champion.seat, runner_up=None, margin=None, tied=())
    second_rank = min(r.rank or 0 for r in rest)
    runner_up = max((r for r in rest if r.rank == second_rank), key=lambda r: r.mean or 0.0)
    margin = (champion.mean or 0.0) - (runner_up.mean or 0.0)
    return DebateSummary(
        champion=champion.seat, runner_up=runner_up.seat, margin=round(margin, 3), tied=()
    )


# --- Pairwise outcomes -----------------------------------------------------------------------


@dataclass(frozen=True)
class SeatInfo:
    seat: int
    position: int
    model: str
    role: str


@dataclass(frozen=True)
class Outcome:
    judge: str
    seat_a: int
    seat_b: int
    outcome: str  # "a", "b" or "tie"


def pairwise_outcomes(scores: Sequence[JudgeScore], seats: Mapping[int, SeatInfo]) -> list[Outcome]:
    """One outcome per judge and pair of seats it scored (seat_a before seat_b on the panel),
    except pairs of seats of the same model."""
    outcomes = []
    for judge, judged in sorted(_by_judge(scores).items()):
        ordered = sorted(judged, key=lambda seat: seats[seat].position)
        for a, b in combinations(ordered, 2):
            if seats[a].model == seats[b].model:
                continue
            order = _compare(judged[a], judged[b])
            outcome = "a" if order > 0 else "b" if order < 0 else "tie"
            outcomes.append(Outcome(judge=judge, seat_a=a, seat_b=b, outcome=outcome))
    return outcomes


# --- Readers' votes --------------------------------------------------------------------------

VOTE_SEAT: Final = "seat"
VOTE_TIE: Final = "tie"
VOTE_ALL_BAD: Final = "all_bad"


def vote_outcomes(choice: str, best: int | None, seats: Mapping[int, SeatInfo]) -> list[Outcome]:
    """The pairwise outcomes of one reader's vote, in the judges' shape (judge ""): the best
    seat beats every other seat; "tie" and "all bad" are a tie between every pair (as LMArena
    counts "both bad"). Pairs of seats of the same model are skipped, as for the judges."""
    ordered = sorted(seats, key=lambda seat: seats[seat].position)
    if choice == VOTE_SEAT and best not in seats:
        raise ValueError(f"the best seat {best!r} is not on the panel")
    outcomes = []
    for a, b in combinations(ordered, 2):
        if seats[a].model == seats[b].model:
            continue
        if choice == VOTE_SEAT and best in (a, b):
            outcome = "a" if best == a else "b"
        elif choice == VOTE_SEAT:
            continue  # two seats the reader did not pick: the vote says nothing about them
        else:
            outcome = "tie"
        outcomes.append(Outcome(judge="", seat_a=a, seat_b=b, outcome=outcome))
    return outcomes

"""Conformity telemetry: did a seat change its position from one round to the next, and did
the change go the way the previous round's majority went? Pure: no Django, no ORM.

A position is any comparable string: a debate's turns give their stance (for / against /
mixed); an evaluation gives each turn's final answer (an option letter, a number). The
majority of a round is its most common position among the seats that took one; a tie has
no majority. A change "followed the majority" when the new position is the previous round's
majority and the old one was not. Confidence and key claims ride along: how much a seat's
confidence moved, and how many of its previous key claims it kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TurnPosition:
    seat: str
    round: int
    position: str
    confidence: float | None = None
    key_claims: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConformityCell:
    seat: str
    round: int
    position: str
    previous: str | None  # None in a seat's first round
    changed: bool | None
    majority: str | None  # the previous round's majority, if there was one
    followed_majority: bool | None  # only for a change with a majority to follow
    confidence_delta: float | None = None
    claims_kept: int | None = None


@dataclass(frozen=True)
class Conformity:
    seats: list[str]
    rounds: list[int]
    cells: list[ConformityCell] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(1 for cell in self.cells if cell.changed)

    @property
    def changes_to_majority(self) -> int:
        return sum(1 for cell in self.cells if cell.followed_majority)

    @property
    def comparable(self) -> int:
        """Turns with a previous turn to compare with."""
        return sum(1 for cell in self.cells if cell.changed is not None)

    def cell(self, seat: str, round_: int) -> ConformityCell | None:
        for cell in self.cells:
            if cell.seat == seat and cell.round == round_:
                return cell
        return None

    def grid(self) -> list[tuple[str, list[ConformityCell | None]]]:
        """Rows by seat, one column per round (None where the seat has no turn)."""
        return [(seat, [self.cell(seat, r) for r in self.rounds]) for seat in self.seats]


def majority(positions: Sequence[str]) -> str | None:
    counts = Counter(p for p in positions if p)
    if not counts:
        return None
    (top, top_count), *rest = counts.most_common()
    if rest and rest[0][1] == top_count:
        return None
    return top


def conformity(turns: Sequence[TurnPosition]) -> Conformity:
    """Per seat and round: changed or not, and whether the change followed the majority.
    Turns without a position (failed turns) are left out."""
    kept = [turn for turn in turns if turn.position]
    seats = list(dict.fromkeys(turn.seat for turn in sorted(kept, key=lambda t: t.seat)))
    rounds = sorted({turn.round for turn in kept})
    by_round: dict[int, list[TurnPosition]] = {}
    for turn in kept:
        by_round.setdefault(turn.round, []).append(turn)
    majorities = {r: majority([t.position for t in by_round[r]]) for r in rounds}
    last: dict[str, TurnPosition] = {}
    cells: list[ConformityCell] = []
    for r in rounds:
        for turn in sorted(by_round[r], key=lambda t: t.seat):
            before = last.get(turn.seat)
            if before is None:
                cells.append(ConformityCell(turn.seat, r, turn.position, None, None, None, None))
            else:
                changed = turn.position != before.position
                major = majorities[before.round]
                followed = (
                    None
                    if not changed or major is None
                    else turn.position == major and before.position != major
                )
                delta = (
                    round(turn.confidence - before.confidence, 3)
                    if turn.confidence is not None and before.confidence is not None
                    else None
                )
                claims = set(turn.key_claims)
                cells.append(
                    ConformityCell(
                        turn.seat,
                        r,
                        turn.position,
                        before.position,
                        changed,
                        major,
                        followed,
                        delta,
                        sum(1 for claim in before.key_claims if claim in claims),
                    )
                )
            last[turn.seat] = turn
    return Conformity(seats=seats, rounds=rounds, cells=cells)

"""Readers' votes on finished debates, LMArena style: a signed-in reader who may see a debate
picks the best seat (or "tie", or "all bad") while the seats are still anonymous to them, and
only then sees which model sat where.

Blind or not: a vote feeds the readers' board (ratings.services.vote_record) only when it was
cast blind, that is by someone who is not the debate's creator (they chose the panel), who has
not asked to see the models first ("skip and reveal") or opened a page that names them (the
live and replay pages), and who had not voted on it before (after a vote the page shows the
models, so a changed vote is an informed one). Every vote is kept, blind or not, one per
person and debate; each vote is audited and rate-limited per person.
"""

from dataclasses import dataclass, field
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import audit_record
from billing.ratelimits import rate_limit_hit
from consultation.exceptions import Conflict, RateLimited, ValidationFailed
from debates.models import RATED_STATUSES, Debate, Seat, TurnStatus, seat_label
from ratings import selectors as rating_selectors
from ratings import services as rating_services
from ratings.models import HumanVote, VoteChoice

# Votes (and changes of vote) one person may cast per minute, across debates: enough for a
# reader, too few for a script to stuff a board.
VOTES_PER_MINUTE = 10


def votable_seats(debate: Debate) -> list[Seat]:
    """The seats a reader may pick: those that said something (a completed turn)."""
    spoke = {turn.seat_id for turn in debate.turns.all() if turn.status == TurnStatus.COMPLETED}
    return [seat for seat in debate.seats.all() if seat.pk in spoke]


def debate_is_votable(debate: Debate) -> bool:
    """A debate that reached an answer, still has its text, and had two seats speak."""
    return (
        debate.status in RATED_STATUSES
        and debate.anonymised_at is None
        and debate.deleted_at is None
        and len(votable_seats(debate)) >= 2
    )


@dataclass(frozen=True)
class VotePanel:
    """What the vote box of a finished debate shows one signed-in reader."""

    seats: list[Seat]
    vote: HumanVote | None
    # Hide the seats' models from this reader now (they have neither voted nor revealed).
    blinded: bool
    # Whether a vote cast now would count on the readers' board.
    would_count: bool
    is_creator: bool
    tally: dict[str, int] = field(default_factory=dict)

    @property
    def tally_rows(self) -> list[tuple[str, int]]:
        """Each choice with how many readers made it, for a voter to compare with."""
        rows = [
            (_("Seat %(letter)s") % {"letter": chr(ord("A") + seat.position)},
             self.tally.get(f"seat:{seat.position}", 0))
            for seat in self.seats
        ]  # fmt: skip
        rows += [(str(VoteChoice(choice).label), self.tally.get(choice, 0))
                 for choice in (VoteChoice.TIE, VoteChoice.ALL_BAD)]  # fmt: skip
        return rows

    @property
    def voted_label(self) -> str:
        if self.vote is None:
            return ""
        if self.vote.choice == VoteChoice.SEAT and self.vote.seat is not None:
            return _("Seat %(letter)s") % {"letter": chr(ord("A") + self.vote.seat)}
        return str(VoteChoice(self.vote.choice).label)


def _would_be_blind(*, user: User, debate: Debate, vote: HumanVote | None) -> bool:
    return (
        debate.created_by_id != user.pk
        and vote is None
        and not rating_selectors.vote_revealed(debate_id=debate.pk, user_id=user.pk)
    )


def vote_panel_for(*, debate: Debate, user: User | None) -> VotePanel | None:
    """The vote box for `user` (None when nobody signed in, or the debate takes no votes)."""
    if user is None or not debate_is_votable(debate):
        return None
    vote = rating_selectors.vote_get(debate_id=debate.pk, voter_id=user.pk)
    blind = _would_be_blind(user=user, debate=debate, vote=vote)
    return VotePanel(
        seats=votable_seats(debate),
        vote=vote,
        blinded=blind,
        would_count=blind,
        is_creator=debate.created_by_id == user.pk,
        tally=rating_selectors.vote_tally(debate_id=debate.pk) if vote is not None else {},
    )


def seat_from_letter(debate: Debate, letter: str) -> int:
    """The panel position of a votable seat named by its letter ("A", "b"); ValidationFailed
    for anything else."""
    letter = letter.strip().upper()
    for seat in votable_seats(debate):
        if seat_label(seat.position) == f"Seat {letter}":
            return seat.position
    raise ValidationFailed(fields={"seat": [_("Pick one of the seats that spoke.")]})


def _rate_check(actor: User) -> None:
    decision = rate_limit_hit(scope_key=f"votes:user:{actor.pk}", rate_per_minute=VOTES_PER_MINUTE)
    if not decision.allowed:
        voted = ngettext(
            "You voted %(count)d time this minute, the most we take.",
            "You voted %(count)d times this minute, the most we take.",
            decision.limit,
        ) % {"count": decision.limit}
        raise RateLimited(
            f"{voted} {decision.try_again()}",
            limit=decision.limit,
            used=decision.limit,
            reset_at=decision.reset_at.isoformat(),
            retry_after=decision.reset_in,
        )


@transaction.atomic
def debate_vote(
    *,
    actor: User,
    debate: Debate,
    choice: str,
    seat: int | None = None,
    client_blind: bool = True,
) -> tuple[HumanVote, bool]:
    """Record or change `actor`'s vote on a finished debate they may see; returns the vote
    and whether it is new. `client_blind` is False when the client showed the models before
    the vote (the API's representations name them, so an API vote is blind only if its
    caller says it hid them)."""
    if not debate_is_votable(debate):
        raise Conflict(_("Votes are taken on finished debates that reached an answer."))
    if choice not in VoteChoice.values:
        raise ValidationFailed(fields={"choice": [_("Choose a seat, a tie or “all bad”.")]})
    if choice == VoteChoice.SEAT:
        if seat is None or seat not in {s.position for s in votable_seats(debate)}:
            raise ValidationFailed(fields={"seat": [_("Pick one of the seats that spoke.")]})
    else:
        seat = None
    _rate_check(actor)
    previous = rating_selectors.vote_get(debate_id=debate.pk, voter_id=actor.pk)
    blind = client_blind and _would_be_blind(user=actor, debate=debate, vote=previous)
    target = rating_services.VoteTarget(
        debate_id=debate.pk,
        team_id=debate.team_id,
        is_public=debate.is_public,
        category=debate.category,
        seats=[
            rating_services.RatedSeat(position=s.position, model_id=s.llm_model_id, role=s.role)
            for s in debate.seats.all()
        ],
    )
    vote, created = rating_services.vote_record(
        target=target, voter_id=actor.pk, choice=choice, seat=seat, blind=blind
    )
    audit_record(
        actor=actor,
        action="debate.voted" if created else "debate.vote_changed",
        team=debate.team,
        target=debate,
        data={
            "choice": choice,
            "seat": seat,
            "blind": blind,
            "previous": None if previous is None else [previous.choice, previous.seat],
        },
    )
    return vote, created


def debate_vote_reveal(*, actor: User, debate_id: UUID) -> bool:
    """ "Skip and reveal", or a page that names the models: a later vote is not blind."""
    return rating_services.vote_reveal_record(debate_id=debate_id, user_id=actor.pk)

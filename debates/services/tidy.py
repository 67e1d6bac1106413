"""Tidying one's debates: a title of its own (the question stays as asked), deletion, stars.

Deleting a debate is retention's anonymisation done now (debates.services.retention): its text
goes for good, its numbers stay (tokens, cost, scores, the ratings' outcomes and votes, usage),
and it disappears for everyone: its public link closes and no list or page shows it again.
Renaming and deleting are for the debate's creator, or an owner or admin of its team; stars are
each person's own. Renames and deletions are audited.
"""

import unicodedata
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import MANAGER_ROLES, Membership, User
from accounts.realtime import access_changed
from accounts.services import audit_record
from consultation.exceptions import Conflict, PermissionDenied, ValidationFailed
from debates.events import group_name
from debates.models import Debate, DebateStar, Seat, Turn, TurnStatus
from debates.services.exports import round_title, seat_text
from debates.services.retention import debate_anonymise

MAX_TITLE = 120


def title_clean(value: str) -> str:
    """A title as stored: NFC, control and format characters dropped (no bidi overrides or
    zero-width tricks), runs of whitespace (newlines included) made one space, trimmed. Blank
    means "no title" (the question shows). ValidationFailed past MAX_TITLE characters."""
    text = unicodedata.normalize("NFC", value)
    text = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    text = " ".join(text.split())
    if len(text) > MAX_TITLE:
        raise ValidationFailed(
            fields={
                "title": [
                    _("A title has at most %(max)d characters (this one has %(count)d).")
                    % {"max": MAX_TITLE, "count": len(text)}
                ]
            }
        )
    return text


def may_manage(*, actor: User, debate: Debate) -> bool:
    """The creator, or an owner or admin of the debate's team."""
    if debate.created_by_id == actor.pk:
        return True
    return Membership.objects.filter(
        team_id=debate.team_id, user=actor, role__in=MANAGER_ROLES
    ).exists()


def _require_manager(actor: User, debate: Debate) -> None:
    if not may_manage(actor=actor, debate=debate):
        raise PermissionDenied(
            _("Only the person who started this debate, or a team admin, can do this.")
        )


@transaction.atomic
def debate_rename(*, actor: User, debate: Debate, title: str) -> Debate:
    """Give the debate a title (blank: none). Idempotent: the same title records nothing."""
    _require_manager(actor, debate)
    if debate.deleted_at is not None:
        raise Conflict(_("This debate was deleted."))
    clean = title_clean(title)
    if clean != debate.title:
        Debate.objects.filter(pk=debate.pk).update(title=clean, updated_at=timezone.now())
        audit_record(
            actor=actor,
            action="debate.renamed",
            team=debate.team,
            target=debate,
            # Lengths, not the titles: the audit log outlives a debate's text.
            data={"title_chars": len(clean), "previous_chars": len(debate.title)},
        )
        debate.title = clean
    return debate


@transaction.atomic
def debate_delete(*, actor: User, debate: Debate) -> None:
    """Wipe the debate's text (keeping its numbers), close its public link and hide it from
    everyone. A running debate must be cancelled first."""
    _require_manager(actor, debate)
    if debate.deleted_at is not None:
        return
    if not debate.is_finished:
        raise Conflict(_("Cancel the debate first: a running debate cannot be deleted."))
    debate_anonymise(debate_id=debate.pk, actor=actor)
    # The outcomes keep their boards (a deleted debate's ratings contribution stays, as with
    # retention); only the debate itself stops being reachable.
    Debate.objects.filter(pk=debate.pk).update(
        title="",
        is_public=False,
        listed_in_hall_of_fame=False,
        shared_with_team=False,
        deleted_at=timezone.now(),
        updated_at=timezone.now(),
    )
    DebateStar.objects.filter(debate=debate).delete()
    access_changed(groups=[group_name(debate.pk)], reason="deleted")
    audit_record(actor=actor, action="debate.deleted", team=debate.team, target=debate, data={})


def debate_touch(*, debate_id: UUID) -> None:
    """Mark the debate changed (`updated_at`), for a change made outside its services: staff
    editing one of its turns or judgments in the admin. The API's cached detail is keyed by
    the debate's row (debates.detail_cache), so the change shows at once."""
    Debate.objects.filter(pk=debate_id).update(updated_at=timezone.now())


def debate_star(*, actor: User, debate: Debate, starred: bool) -> bool:
    """Star (or unstar) a debate for `actor` alone. Returns whether it is starred now."""
    if starred:
        DebateStar.objects.get_or_create(user=actor, debate=debate)
    else:
        DebateStar.objects.filter(user=actor, debate=debate).delete()
    return starred


def debate_is_starred(*, user: User, debate: Debate) -> bool:
    return DebateStar.objects.filter(user=user, debate=debate).exists()


@dataclass(frozen=True)
class SeatColumn:
    """One seat's turns over every round (the per-seat view), and its completed turns' text
    as one Markdown block (what its copy button copies)."""

    seat: Seat
    label: str
    turns: list[tuple[str, Turn]]
    text: str


def seat_columns(*, debate: Debate) -> list[SeatColumn]:
    """Of a debate fetched by a detail selector (seats and turns prefetched), in panel order."""
    by_seat: dict[int, list[tuple[str, Turn]]] = {seat.pk: [] for seat in debate.seats.all()}
    for turn in sorted(debate.turns.all(), key=lambda t: t.round):
        by_seat.setdefault(turn.seat_id, []).append((round_title(turn.round), turn))
    return [
        SeatColumn(
            seat=seat,
            label=seat_text(seat.position),
            turns=by_seat[seat.pk],
            text="\n\n".join(
                f"## {title}\n\n{turn.content.strip()}"
                for title, turn in by_seat[seat.pk]
                if turn.status == TurnStatus.COMPLETED
            ),
        )
        for seat in debate.seats.all()
    ]

"""Who sees a debate: its creator always; the team once shared; anyone with the link (read-only)
once public; the hall of fame's visitors once listed (a choice of its own, which needs the
public link). Only the creator changes that, and every change is audited."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.realtime import access_changed
from accounts.services import audit_record
from consultation.exceptions import Conflict, PermissionDenied
from debates.events import group_name
from debates.models import Debate
from ratings.services import outcomes_set_public, ratings_schedule_update


def _require_creator(actor: User, debate: Debate) -> None:
    if debate.created_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who started this debate can change who sees it."))


@transaction.atomic
def debate_share(*, actor: User, debate: Debate, shared: bool) -> Debate:
    """Share the debate with its team (or stop sharing it). Idempotent: setting the current
    value changes and records nothing."""
    _require_creator(actor, debate)
    if debate.shared_with_team != shared:
        # update(), not save(): a worker may be writing this debate's progress right now.
        Debate.objects.filter(pk=debate.pk).update(
            shared_with_team=shared, updated_at=timezone.now()
        )
        debate.shared_with_team = shared
        if not shared:
            # The team's members watching it live lose it now (accounts/realtime.py).
            access_changed(groups=[group_name(debate.pk)], reason="unshared")
        audit_record(
            actor=actor,
            action="debate.shared" if shared else "debate.unshared",
            team=debate.team,
            target=debate,
            data={"shared_with_team": shared},
        )
    return debate


@transaction.atomic
def debate_set_public(*, actor: User, debate: Debate, public: bool) -> Debate:
    """Open the read-only public link (or close it; that also takes it off the hall of fame).
    Idempotent like debate_share."""
    _require_creator(actor, debate)
    if debate.is_public != public:
        changes: dict[str, bool] = {"is_public": public}
        if not public:
            changes["listed_in_hall_of_fame"] = False
        Debate.objects.filter(pk=debate.pk).update(**changes, updated_at=timezone.now())
        for name, value in changes.items():
            setattr(debate, name, value)
        if not public:
            # Visitors watching through the public link lose it now (accounts/realtime.py).
            access_changed(groups=[group_name(debate.pk)], reason="public_link_closed")
        audit_record(
            actor=actor,
            action="debate.made_public" if public else "debate.made_private",
            team=debate.team,
            target=debate,
            data=dict(changes),
        )
        # Public debates feed the public board: it changes with this debate's visibility.
        outcomes_set_public(debate_id=debate.pk, is_public=public)
        if debate.is_finished:
            ratings_schedule_update(debate_id=debate.pk)
    return debate


@transaction.atomic
def debate_set_listed(*, actor: User, debate: Debate, listed: bool) -> Debate:
    """List the debate on the hall of fame (or take it off). Listing needs the public link
    open: a listed debate is one anybody may read. Idempotent like debate_share."""
    _require_creator(actor, debate)
    if listed and not debate.is_public:
        raise Conflict(_("Open the public link first: a listed debate is readable by anyone."))
    if debate.listed_in_hall_of_fame != listed:
        Debate.objects.filter(pk=debate.pk).update(
            listed_in_hall_of_fame=listed, updated_at=timezone.now()
        )
        debate.listed_in_hall_of_fame = listed
        audit_record(
            actor=actor,
            action="debate.listed" if listed else "debate.unlisted",
            team=debate.team,
            target=debate,
            data={"listed_in_hall_of_fame": listed},
        )
    return debate

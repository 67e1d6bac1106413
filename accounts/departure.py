"""An account leaving for good: its teams handed over or closed, then the user removed.

accounts sits below the product, so this module does the accounts part only; the deletion
itself (anonymising debates, revoking keys, cancelling subscriptions, in that order) is
`privacy.services.account_delete`, which calls these in turn:

1. `departure_plan`: which teams close (the personal one; a team where the user is the last
   member) and which go on under a new owner (the oldest admin, else the oldest member);
2. `teams_leave`: apply that plan, audited in each team;
3. `user_erase`: pseudonymise the user's address in the audit log and delete the user (the
   profile, memberships, e-mail addresses and social logins go with the row).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.activity import DELETED_ACTOR
from accounts.models import AuditEntry, Invitation, MemberRole, Membership, Profile, Team, User
from accounts.realtime import access_changed_for_users
from accounts.services import audit_record


@dataclass(frozen=True)
class Handover:
    team: Team
    # The membership that becomes owner, or None when the team keeps another owner.
    new_owner: Membership | None


@dataclass(frozen=True)
class DeparturePlan:
    close: list[Team] = field(default_factory=list)
    hand_over: list[Handover] = field(default_factory=list)


def departure_plan(*, user: User) -> DeparturePlan:
    """What leaving does to each of the user's teams. Reads only."""
    plan = DeparturePlan()
    memberships = Membership.objects.filter(user=user, team__closed_at__isnull=True)
    for membership in memberships.select_related("team").order_by("created_at"):
        team = membership.team
        others = (
            Membership.objects.filter(team=team)
            .exclude(user=user)
            .select_related("user")
            .order_by("created_at")
        )
        if team.is_personal or not others.exists():
            plan.close.append(team)
            continue
        if membership.role != MemberRole.OWNER or others.filter(role=MemberRole.OWNER).exists():
            plan.hand_over.append(Handover(team=team, new_owner=None))
            continue
        successor = others.filter(role=MemberRole.ADMIN).first() or others.first()
        plan.hand_over.append(Handover(team=team, new_owner=successor))
    return plan


@transaction.atomic
def team_close(*, team: Team, actor: User | None) -> Team:
    """Close a team: no members, no open invitations, no longer anyone's active team. Its rows
    stay (debates, usage and ratings' outcomes count on by id), so nothing cascades away."""
    user_ids = list(Membership.objects.filter(team=team).values_list("user_id", flat=True))
    Profile.objects.filter(active_team=team).update(active_team=None, updated_at=timezone.now())
    Invitation.objects.filter(team=team, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), updated_at=timezone.now()
    )
    Membership.objects.filter(team=team).delete()
    Team.objects.filter(pk=team.pk).update(closed_at=timezone.now(), updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="team.closed",
        team=team,
        target=team,
        data={"reason": "account_deleted"},
    )
    access_changed_for_users(user_ids=user_ids, reason="membership_removed")
    team.refresh_from_db()
    return team


@transaction.atomic
def teams_leave(*, user: User, plan: DeparturePlan) -> None:
    """Apply a departure plan: hand each team over (audited), leave it, close the rest."""
    for handover in plan.hand_over:
        if handover.new_owner is not None:
            Membership.objects.filter(pk=handover.new_owner.pk).update(
                role=MemberRole.OWNER, updated_at=timezone.now()
            )
            audit_record(
                actor=user,
                action="team.ownership_transferred",
                team=handover.team,
                target=handover.new_owner,
                data={"to": handover.new_owner.user.email, "reason": "account_deleted"},
            )
        Membership.objects.filter(team=handover.team, user=user).delete()
        audit_record(
            actor=user,
            action="membership.left",
            team=handover.team,
            data={"user": user.email, "reason": "account_deleted"},
        )
    for team in plan.close:
        team_close(team=team, actor=user)


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Delete the user. Audit entries stay (they are the teams' record) but no longer name
    them: their address becomes DELETED_ACTOR wherever it was written, as actor or in the
    entry's data. The only update the audit log ever takes, by queryset, since erasure
    outranks append-only here; AuditEntry.save still refuses any other."""
    email = user.email
    AuditEntry.objects.filter(Q(actor=user) | Q(actor_email__iexact=email)).update(
        actor_email=DELETED_ACTOR
    )
    mentions = AuditEntry.objects.annotate(text=Cast("data", TextField())).filter(
        text__icontains=email
    )
    for entry in mentions.only("pk", "data"):
        data = _without(entry.data, email)
        AuditEntry.objects.filter(pk=entry.pk).update(data=data)
    Invitation.objects.filter(email__iexact=email).delete()
    user.delete()


def _without(value: object, email: str) -> object:
    """`value` (an entry's JSON data) with every mention of `email` replaced."""
    if isinstance(value, str):
        return DELETED_ACTOR if email.lower() in value.lower() else value
    if isinstance(value, list):
        return [_without(item, email) for item in value]
    if isinstance(value, dict):
        return {key: _without(item, email) for key, item in value.items()}
    return value

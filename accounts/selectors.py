"""Reads of the accounts app. Each one authorises: someone else's team is NotFound."""

from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from uuid import UUID

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.activity import action_kind_q
from accounts.models import MANAGER_ROLES, AuditEntry, Invitation, Membership, Profile, Team, User
from consultation.exceptions import NotFound


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).order_by("-is_personal", "name")


def membership_get(*, team: Team, user: User) -> Membership:
    try:
        return Membership.objects.select_related("team", "user").get(team=team, user=user)
    except Membership.DoesNotExist as exc:
        raise NotFound(_("Team not found.")) from exc


def team_get_for_user(*, user: User, team_id: UUID | str) -> tuple[Team, Membership]:
    """The team and the user's membership in it; NotFound for teams they are not in."""
    try:
        membership = Membership.objects.select_related("team").get(team_id=team_id, user=user)
    except (Membership.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound(_("Team not found.")) from exc
    return membership.team, membership


def team_members(*, team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user", "user__profile").order_by("created_at")


def member_get(*, team: Team, membership_id: int) -> Membership:
    try:
        return team.memberships.select_related("user", "team").get(pk=membership_id)
    except Membership.DoesNotExist as exc:
        raise NotFound(_("Member not found.")) from exc


def invitation_list_open(*, team: Team) -> QuerySet[Invitation]:
    return team.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def invitation_get(*, team: Team, invitation_id: UUID | str) -> Invitation:
    try:
        return team.invitations.select_related("team").get(pk=invitation_id)
    except (Invitation.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound(_("Invitation not found.")) from exc


def invitation_get_by_token(*, token: str) -> Invitation:
    """The invitation a link carries; the token is the credential, so anyone holding it sees it."""
    try:
        return Invitation.objects.select_related("team", "invited_by").get(
            token_hash=Invitation.hash_token(token)
        )
    except Invitation.DoesNotExist as exc:
        raise NotFound(_("This invitation does not exist.")) from exc


def active_team_for_user(*, user: User) -> Team | None:
    """The team the user works in now: the saved choice if still a member, else personal."""
    profile = Profile.objects.select_related("active_team").filter(user=user).first()
    if profile is None:
        return None
    team = profile.active_team
    if team is not None and Membership.objects.filter(team=team, user=user).exists():
        return team
    return Team.objects.filter(created_by=user, is_personal=True).first()


def profile_get_public(*, handle: str) -> Profile:
    try:
        return Profile.objects.select_related("user").get(handle=handle, is_public=True)
    except Profile.DoesNotExist as exc:
        raise NotFound(_("No public profile with this handle.")) from exc


def audit_list_for_team(*, team: Team, limit: int = 50) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(team=team).select_related("actor")[:limit]


AUDIT_PAGE_SIZE = 50
# period -> days back (None: everything the retention period kept).
AUDIT_PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}


@dataclass(frozen=True)
class AuditFilters:
    kind: str = ""
    actor_id: int | None = None
    period: str = "30d"


def team_get_for_manager(*, user: User, team_id: UUID | str) -> tuple[Team, Membership]:
    """The team and the user's membership, for owners and admins only: to anyone else
    (members included) the page does not exist."""
    team, membership = team_get_for_user(user=user, team_id=team_id)
    if membership.role not in MANAGER_ROLES:
        raise NotFound(_("Team not found."))
    return team, membership


def audit_page_for_team(*, team: Team, filters: AuditFilters, page: int = 1) -> Page[AuditEntry]:
    """One page of the team's audit log, newest first, filtered in the database by kind of
    action, actor and period. Callers authorise first (team_get_for_manager)."""
    entries = AuditEntry.objects.filter(team=team)
    if filters.kind:
        entries = entries.filter(action_kind_q(filters.kind))
    if filters.actor_id is not None:
        entries = entries.filter(actor_id=filters.actor_id)
    days = AUDIT_PERIODS.get(filters.period)
    if days is not None:
        entries = entries.filter(created_at__gte=timezone.now() - timedelta(days=days))
    paginator = Paginator(entries.order_by("-created_at", "-id"), AUDIT_PAGE_SIZE)
    return paginator.get_page(page)


def session_is_signed_in(*, session_key: str | None, user_id: int | str) -> bool:
    """Whether the session `session_key` is still signed in as `user_id`, an active user
    (false once it logged out, expired, or the account was deactivated). For connections that
    outlive the request that authenticated them: the live sockets."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    if str(store.get(SESSION_KEY, "")) != str(user_id):
        return False
    return User.objects.filter(pk=user_id, is_active=True).exists()

"""Writes of the accounts app. Each is keyword-only, atomic, and audits what it changes."""

import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import (
    MANAGER_ROLES,
    AuditEntry,
    Invitation,
    MemberRole,
    Membership,
    Profile,
    Team,
    User,
)
from accounts.origin import current_origin
from accounts.realtime import access_changed_for_users
from consultation.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from ops.metrics import metric_increment

logger = structlog.get_logger(__name__)

INVITATION_TTL = timedelta(days=7)
INVITATION_WINDOW = timedelta(hours=1)
# Control characters, lone surrogates, line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})
PROFILE_FIELDS = frozenset(
    {
        "display_name",
        "bio",
        "avatar_url",
        "locale",
        "timezone",
        "is_public",
        "handle",
        "analytics_opt_out",
    }
)


# --- Audit -----------------------------------------------------------------------------------


def audit_record(
    *,
    actor: User | None,
    action: str,
    team: Team | None = None,
    target: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry. Call it inside the service's transaction. A request's client
    address and browser are recorded with it (accounts.origin)."""
    origin = current_origin()
    entry = AuditEntry.objects.create(
        actor=actor,
        actor_email=actor.email if actor is not None else "",
        team=team,
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=str(getattr(target, "pk", "")) if target is not None else "",
        data=data or {},
        ip_address=origin.ip_address if origin else None,
        user_agent=origin.user_agent if origin else "",
    )
    logger.info("audit", action=action, team_id=str(team.pk) if team else None)
    return entry


@transaction.atomic
def audit_purge(*, before: datetime, dry_run: bool = False) -> int:
    """Delete (or, dry, count) the audit entries written before `before` (retention)."""
    entries = AuditEntry.objects.filter(created_at__lt=before)
    return entries.count() if dry_run else entries.delete()[0]


# --- Users and profiles ----------------------------------------------------------------------


def _unique_handle(email: str) -> str:
    base = slugify(email.split("@", 1)[0])[:30] or "member"
    handle = base
    while Profile.objects.filter(handle=handle).exists():
        handle = f"{base}-{secrets.token_hex(2)}"
    return handle


@transaction.atomic
def user_setup_workspace(*, user: User) -> Team:
    """Give a user their profile and personal team. Idempotent: safe on every login."""
    profile, _created = Profile.objects.get_or_create(
        user=user, defaults={"handle": _unique_handle(user.email)}
    )
    team = Team.objects.filter(created_by=user, is_personal=True).first()
    if team is None:
        team = Team.objects.create(name=_("Personal"), is_personal=True, created_by=user)
        Membership.objects.create(team=team, user=user, role=MemberRole.OWNER)
        audit_record(
            actor=user, action="team.created", team=team, target=team, data={"personal": True}
        )
    if profile.active_team_id is None:
        profile.active_team = team
        profile.save(update_fields=["active_team", "updated_at"])
    # A caller that asked for `user.profile` before the profile existed has "no profile" cached.
    user.profile = profile
    return team


@transaction.atomic
def user_create(*, email: str, password: str | None, display_name: str = "") -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(_("An account with this email already exists."))
    user = User.objects.create_user(email=email, password=password)
    user_setup_workspace(user=user)
    if display_name:
        user.profile.display_name = display_name
        user.profile.save(update_fields=["display_name", "updated_at"])
    audit_record(actor=user, action="user.created", target=user)
    return user


@transaction.atomic
def user_complete_signup(
    *, user: User, language: str | None = None, display_name: str = "", provider: str = ""
) -> Team:
    """Finish a sign-up (form or social): workspace, language, name, and the audit entry."""
    team = user_setup_workspace(user=user)
    changes: dict[str, str] = {}
    if language in dict(settings.LANGUAGES):
        changes["locale"] = str(language)
    # Names from a provider can be longer than ours: keep what fits.
    name_length = Profile._meta.get_field("display_name").max_length
    if display_name.strip():
        changes["display_name"] = display_name.strip()[:name_length]
    if changes:
        Profile.objects.filter(user=user).update(**changes, updated_at=timezone.now())
        user.profile.refresh_from_db()
    audit_record(
        actor=user,
        action="user.signed_up",
        target=user,
        data={"provider": provider} if provider else {},
    )
    return team


@transaction.atomic
def profile_update(*, actor: User, **changes: Any) -> Profile:
    """Change the actor's own profile. Unknown fields are a programming error."""
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"Not profile fields: {', '.join(sorted(unknown))}")
    profile = Profile.objects.select_for_update().get(user=actor)
    changed = {name: value for name, value in changes.items() if getattr(profile, name) != value}
    if not changed:
        return profile
    for name, value in changed.items():
        setattr(profile, name, value)
    try:
        profile.full_clean(exclude=["user", "active_team"])
    except ValidationError as exc:
        raise ValidationFailed(fields=exc.message_dict) from exc
    try:
        profile.save()
    except IntegrityError as exc:
        raise ValidationFailed(fields={"handle": [_("This handle is taken.")]}) from exc
    audit_record(
        actor=actor, action="profile.updated", target=profile, data={"fields": sorted(changed)}
    )
    return profile


def language_set(*, user: User | None, language: str) -> str:
    """Validate a language code and remember it on the profile of a signed-in user."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(fields={"language": [_("Unsupported language.")]})
    if user is not None:
        profile_update(actor=user, locale=language)
    return language


# --- Teams -----------------------------------------------------------------------------------


def _membership_of(*, team: Team, user: User) -> Membership:
    try:
        return Membership.objects.select_related("team").get(team=team, user=user)
    except Membership.DoesNotExist as exc:
        raise NotFound(_("Team not found.")) from exc


def _require_manager(*, team: Team, user: User) -> Membership:
    membership = _membership_of(team=team, user=user)
    if membership.role not in MANAGER_ROLES:
        raise PermissionDenied(_("Only owners and admins can manage members."))
    return membership


def team_name_problem(name: str) -> str | None:
    """Why `name` cannot name a team, or None. A team name goes into e-mail subjects and page
    titles: a line break or another control character (a lone surrogate, NUL) would break the
    invitation e-mail's headers, so none is accepted."""
    if any(unicodedata.category(char) in _UNPRINTABLE for char in name):
        return _("Use letters, digits, spaces and punctuation only: no line breaks.")
    return None


@transaction.atomic
def team_create(*, actor: User, name: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("Give the team a name.")]})
    if problem := team_name_problem(name):
        raise ValidationFailed(fields={"name": [problem]})
    max_length = Team._meta.get_field("name").max_length or 80
    if len(name) > max_length:
        raise ValidationFailed(
            fields={"name": [_("Use at most %(count)d characters.") % {"count": max_length}]}
        )
    team = Team.objects.create(name=name, created_by=actor)
    Membership.objects.create(team=team, user=actor, role=MemberRole.OWNER)
    audit_record(actor=actor, action="team.created", team=team, target=team, data={"name": name})
    team_switch(user=actor, team=team)
    return team


@transaction.atomic
def team_switch(*, user: User, team: Team) -> Team:
    """Work in another of the user's teams. A preference, like the language: not audited."""
    _membership_of(team=team, user=user)
    Profile.objects.filter(user=user).update(active_team=team, updated_at=timezone.now())
    return team


def _send_invitation_email(*, invitation: Invitation, token: str, inviter: User) -> None:
    accept_url = settings.SITE_URL + reverse("invitation-accept", kwargs={"token": token})
    context = {"invitation": invitation, "inviter": inviter, "accept_url": accept_url}
    # The invitee's language is unknown: write in the inviter's.
    subject = _("%(inviter)s invited you to %(team)s on Consultation") % {
        "inviter": inviter.email,
        "team": invitation.team.name,
    }
    send_mail(
        subject=subject,
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _team_size_check(*, team: Team, count_invitations: bool) -> None:
    """The plan's limit on members, asked of the product through settings.TEAM_SIZE_CHECK
    (billing decides; accounts sits below it and may not import it)."""
    check = import_string(settings.TEAM_SIZE_CHECK)
    check(team=team, joining=1, count_invitations=count_invitations)


def invitation_create(
    *, actor: User, team: Team, email: str, role: str = MemberRole.MEMBER
) -> Invitation:
    """Invite someone by email; the link in the email carries the only copy of the token.

    Each e-mail goes to an address the inviter typed, so a team sends at most
    `INVITATIONS_PER_TEAM_PER_HOUR` of them in any hour; refusals are counted
    (`invitation.refused`) after their transaction has rolled back, sent ones as
    `invitation.created`."""
    try:
        invitation = _invitation_create(actor=actor, team=team, email=email, role=role)
    except RateLimited:
        metric_increment(name="invitation.refused", label="rate_limited")
        logger.warning("invitation_refused", team_id=str(team.pk), reason="rate_limited")
        raise
    metric_increment(name="invitation.created")
    return invitation


def _invitations_limit(*, team: Team) -> None:
    """Refuse a new invitation once the team sent its hourly share. The team row is locked,
    so two managers inviting at once cannot both take the last one."""
    Team.objects.select_for_update().filter(pk=team.pk).first()
    limit = settings.INVITATIONS_PER_TEAM_PER_HOUR
    now = timezone.now()
    recent = list(
        Invitation.objects.filter(team=team, created_at__gte=now - INVITATION_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return
    reset_at = recent[0] + INVITATION_WINDOW
    raise RateLimited(
        _("This team has sent %(limit)d invitations in the last hour. Try again later.")
        % {"limit": limit},
        limit=limit,
        reset_at=reset_at.isoformat(),
        retry_after=max(1, int((reset_at - now).total_seconds()) + 1),
    )


@transaction.atomic
def _invitation_create(*, actor: User, team: Team, email: str, role: str) -> Invitation:
    inviter = _require_manager(team=team, user=actor)
    if team.is_personal:
        raise PermissionDenied(_("A personal workspace cannot have other members."))
    if problem := team_name_problem(team.name):
        # A team named before names were checked: renaming it is the way out.
        raise ValidationFailed(fields={"team": [problem]})
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(fields={"email": list(exc.messages)}) from exc
    if role not in (MemberRole.ADMIN, MemberRole.MEMBER):
        raise ValidationFailed(fields={"role": [_("Invite as admin or member.")]})
    if role == MemberRole.ADMIN and inviter.role != MemberRole.OWNER:
        raise PermissionDenied(_("Only owners can invite admins."))
    if Membership.objects.filter(team=team, user__email__iexact=email).exists():
        raise Conflict(_("%(email)s is already a member.") % {"email": email})
    _team_size_check(team=team, count_invitations=True)
    pending = (
        Invitation.objects.select_for_update()
        .filter(team=team, email=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if pending is not None and pending.is_open:
        raise Conflict(_("%(email)s already has an open invitation.") % {"email": email})
    _invitations_limit(team=team)
    if pending is not None:
        # Expired: it makes way for the new one (one unanswered invitation per address).
        pending.revoked_at = timezone.now()
        pending.save(update_fields=["revoked_at", "updated_at"])
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        email=email,
        role=role,
        token_hash=Invitation.hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_TTL,
    )
    audit_record(
        actor=actor,
        action="invitation.created",
        team=team,
        target=invitation,
        data={"email": email, "role": role, "replaces": str(pending.pk) if pending else None},
    )
    transaction.on_commit(
        lambda: _send_invitation_email(invitation=invitation, token=token, inviter=actor)
    )
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    try:
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("team")
            .get(token_hash=Invitation.hash_token(token))
        )
    except Invitation.DoesNotExist as exc:
        raise NotFound(_("This invitation does not exist.")) from exc
    if not invitation.is_open:
        raise Conflict(_("This invitation has expired or was already used."))
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    if not Membership.objects.filter(team=invitation.team, user=user).exists():
        _team_size_check(team=invitation.team, count_invitations=False)
    membership, _created = Membership.objects.get_or_create(
        team=invitation.team, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit_record(
        actor=user,
        action="membership.joined",
        team=invitation.team,
        target=membership,
        data={"role": membership.role, "invitation": str(invitation.pk)},
    )
    team_switch(user=user, team=invitation.team)
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    _require_manager(team=invitation.team, user=actor)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(_("This invitation is no longer open."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=actor,
        action="invitation.revoked",
        team=invitation.team,
        target=invitation,
        data={"email": invitation.email},
    )
    return invitation


def _owner_count(team: Team) -> int:
    """Owners of the team, locked: two owners stepping down at once must not leave none."""
    owners = Membership.objects.select_for_update().filter(team=team, role=MemberRole.OWNER)
    return len(owners.values_list("pk", flat=True))


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    if role not in MemberRole.values:
        raise ValidationFailed(fields={"role": [_("Unknown role.")]})
    acting = _require_manager(team=membership.team, user=actor)
    # Only owners grant or take away the admin and owner roles, as with invitations.
    if acting.role != MemberRole.OWNER:
        raise PermissionDenied(_("Only owners can change roles."))
    if membership.role == role:
        return membership
    if membership.role == MemberRole.OWNER and _owner_count(membership.team) == 1:
        raise Conflict(_("A team needs at least one owner. Make someone else owner first."))
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        team=membership.team,
        target=membership,
        data={"user": membership.user.email, "from": previous, "to": role},
    )
    return membership


def _leave(*, membership: Membership) -> None:
    if membership.team.is_personal:
        raise PermissionDenied(_("You cannot leave your personal workspace."))
    if membership.role == MemberRole.OWNER and _owner_count(membership.team) == 1:
        raise Conflict(_("A team needs at least one owner. Make someone else owner first."))
    Profile.objects.filter(user=membership.user, active_team=membership.team).update(
        active_team=None
    )
    membership.delete()
    # Their open sockets on the team's debates close now, not at their next reconnect.
    access_changed_for_users(user_ids=[membership.user_id], reason="membership_removed")


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Remove a member (managers) or leave a team (anyone, for their own membership)."""
    if membership.user_id == actor.pk:
        _leave(membership=membership)
        audit_record(
            actor=actor, action="membership.left", team=membership.team, data={"user": actor.email}
        )
        return
    acting = _require_manager(team=membership.team, user=actor)
    if acting.role != MemberRole.OWNER and membership.role != MemberRole.MEMBER:
        raise PermissionDenied(_("Only owners can remove owners and admins."))
    _leave(membership=membership)
    audit_record(
        actor=actor,
        action="membership.removed",
        team=membership.team,
        data={"user": membership.user.email},
    )

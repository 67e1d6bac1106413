"""Writes of the privacy app: a copy of someone's data, their analytics choice, and deleting
their account. This app sits on top (like evals): it calls the services of accounts, billing,
apikeys, providerkeys and debates, and nothing imports it."""

import json
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any
from uuid import UUID

import structlog
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.tasks import Task, default_task_backend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.departure import departure_plan, teams_leave, user_erase
from accounts.models import AuditEntry, Membership, Profile, User
from accounts.services import audit_record, profile_update
from apikeys.models import APIKey
from apikeys.services import apikey_revoke_for_departure
from billing.models import UsageRecord
from billing.retention import webhook_deliveries_erase
from billing.subscriptions import subscription_cancel_for_team
from consultation.exceptions import Conflict
from debates.models import Debate
from debates.services.retention import debates_anonymise_for_user, debates_unfinished_for_user
from privacy.models import DataExport, ExportStatus
from providerkeys.models import ProviderKey

logger = structlog.get_logger(__name__)

BUILD_EXPORT = "privacy.tasks.build_data_export"
DELETE_EXPORT = "privacy.tasks.delete_data_export"
EXPORT_TTL = timedelta(days=7)
# One request at a time, and not more often than this: each one reads everything they own.
EXPORT_INTERVAL = timedelta(minutes=10)
EXPORT_FORMAT = "consultation-export/1"


def _enqueue(task_path: str, *args: str, run_after: Any = None) -> None:
    task: Task[..., object] = import_string(task_path)
    if run_after is not None:
        if not default_task_backend.supports_defer:
            return
        task = task.using(run_after=run_after)
    task.enqueue(*args)


# --- Analytics choice ------------------------------------------------------------------------


def analytics_opt_out_set(*, user: User, opted_out: bool) -> Profile:
    """Leave the analytics (or come back): a profile change like any other, audited."""
    return profile_update(actor=user, analytics_opt_out=opted_out)


# --- Download my data ------------------------------------------------------------------------


@transaction.atomic
def data_export_request(*, user: User) -> DataExport:
    """Ask for a copy of the user's data: a worker builds it and e-mails a link."""
    Profile.objects.select_for_update().filter(user=user).first()
    recent = DataExport.objects.filter(user=user).order_by("-created_at").first()
    if recent is not None and recent.status == ExportStatus.PENDING:
        raise Conflict(_("Your copy is being prepared. We will e-mail you when it is ready."))
    if recent is not None and recent.created_at > timezone.now() - EXPORT_INTERVAL:
        raise Conflict(_("You asked for a copy a few minutes ago. Try again a little later."))
    export = DataExport.objects.create(user=user)
    audit_record(actor=user, action="data_export.requested", target=export)
    export_id = str(export.pk)
    transaction.on_commit(lambda: _enqueue(BUILD_EXPORT, export_id))
    return export


def data_export_build(*, export_id: UUID | str) -> DataExport | None:
    """Write the JSON file of one pending export to the default storage, mark it ready, drop
    the user's older copies, and e-mail the link. None when the export is gone (the account
    was deleted meanwhile) or not pending."""
    export = (
        DataExport.objects.select_related("user", "user__profile")
        .filter(pk=export_id, status=ExportStatus.PENDING)
        .first()
    )
    if export is None:
        return None
    try:
        with tempfile.SpooledTemporaryFile(max_size=2_000_000, mode="w+b") as buffer:
            _write_export(export.user, buffer)
            size = buffer.tell()
            buffer.seek(0)
            export.file.save("export.json", File(buffer), save=False)
    except Exception:
        DataExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, updated_at=timezone.now()
        )
        logger.exception("privacy_export_failed", export_id=str(export.pk))
        raise
    now = timezone.now()
    with transaction.atomic():
        older = list(
            DataExport.objects.filter(user=export.user).exclude(pk=export.pk).exclude(file="")
        )
        for old in older:
            _file_delete(old)
        export.status = ExportStatus.READY
        export.size_bytes = size
        export.ready_at = now
        export.expires_at = now + EXPORT_TTL
        export.save()
        expires_at = export.expires_at
        export_key = str(export.pk)
        transaction.on_commit(lambda: _send_ready_email(export))
        transaction.on_commit(lambda: _enqueue(DELETE_EXPORT, export_key, run_after=expires_at))
    logger.info(
        "privacy.export_ready", export_id=str(export.pk), user_id=export.user_id, size_bytes=size
    )
    return export


def _file_delete(export: DataExport) -> None:
    if export.file.name:
        default_storage.delete(export.file.name)
    DataExport.objects.filter(pk=export.pk).update(
        file="", status=ExportStatus.EXPIRED, updated_at=timezone.now()
    )


def data_export_expire(*, export_id: UUID | str) -> bool:
    """Delete an export's file once it expired (the worker, at `expires_at`; the download
    view, for one it finds expired). True when a file was deleted."""
    export = DataExport.objects.filter(pk=export_id).first()
    if export is None or not export.file or export.is_downloadable:
        return False
    _file_delete(export)
    return True


def data_export_opened(*, export: DataExport) -> None:
    """Audit a download: the copy holds everything the person wrote."""
    audit_record(actor=export.user, action="data_export.downloaded", target=export)


def _send_ready_email(export: DataExport) -> None:
    user = export.user
    language = getattr(getattr(user, "profile", None), "locale", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        path = reverse("privacy-export-download", kwargs={"export_id": export.pk})
        context = {
            "url": settings.SITE_URL + path,
            "export": export,
            "privacy_url": settings.SITE_URL + reverse("privacy"),
        }
        send_mail(
            subject=_("Your Consultation data is ready to download"),
            message=render_to_string("privacy/email/export_ready.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )


def _files_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _dump(value: Any) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def _write_export(user: User, out: IO[bytes]) -> None:
    """The user's data as one JSON document, written piece by piece (debates one at a time),
    so a long history never sits in memory whole."""
    profile = Profile.objects.filter(user=user).first()
    head = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "profile": {
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            **(
                {
                    "handle": profile.handle,
                    "display_name": profile.display_name,
                    "bio": profile.bio,
                    "avatar_url": profile.avatar_url,
                    "locale": profile.locale,
                    "timezone": profile.timezone,
                    "is_public": profile.is_public,
                    "analytics_opt_out": profile.analytics_opt_out,
                }
                if profile is not None
                else {}
            ),
        },
        "teams": [
            {
                "id": m.team_id,
                "name": m.team.name,
                "personal": m.team.is_personal,
                "role": m.role,
                "joined_at": m.created_at,
            }
            for m in Membership.objects.filter(user=user).select_related("team")
        ],
        "api_keys": [
            {
                "team": key.team_id,
                "name": key.name,
                "prefix": key.display_prefix,
                "scopes": key.scopes,
                "created_at": key.created_at,
                "expires_at": key.expires_at,
                "revoked_at": key.revoked_at,
                "last_used_at": key.last_used_at,
            }
            for key in APIKey.objects.filter(created_by=user)
        ],
        # The providers' keys this user added to a team: what they said about them, never
        # the secret (not even encrypted).
        "provider_keys": [
            {
                "team": key.team_id,
                "provider": key.provider,
                "base_url": key.base_url,
                "hint": key.hint,
                "status": key.status,
                "checked_at": key.checked_at,
                "created_at": key.created_at,
            }
            for key in ProviderKey.objects.filter(created_by=user).order_by("created_at")
        ],
        "activity": [
            {
                "at": entry.created_at,
                "action": entry.action,
                "team": entry.team_id,
                "ip_address": entry.ip_address,
                "user_agent": entry.user_agent,
            }
            for entry in AuditEntry.objects.filter(actor=user).order_by("created_at")[:10_000]
        ],
    }
    # The head without its closing brace, then "debates" streamed, then "usage".
    out.write(_dump(head)[:-1] + b', "debates": [')
    debate_ids: list[UUID] = []
    debates = (
        Debate.objects.filter(created_by=user)
        .order_by("created_at")
        .prefetch_related(
            "seats__llm_model", "turns__seat", "judgments__judge_model", "judgments__seat"
        )
    )
    for index, debate in enumerate(debates.iterator(chunk_size=100)):
        debate_ids.append(debate.pk)
        out.write((b", " if index else b"") + _dump(_debate(debate)))
    out.write(b'], "usage": [')
    usage = UsageRecord.objects.filter(debate_id__in=debate_ids).order_by("created_at")
    for index, record in enumerate(usage.iterator(chunk_size=500)):
        row = {
            "debate": record.debate_id,
            "model": record.model_key,
            "provider": record.provider,
            "calls": record.calls,
            "input_tokens": record.input_tokens,
            "output_tokens": record.output_tokens,
            "cost_usd": record.cost_usd,
            "at": record.created_at,
        }
        out.write((b", " if index else b"") + _dump(row))
    out.write(b"]}")


def _debate(debate: Debate) -> dict[str, Any]:
    return {
        "id": debate.pk,
        "team": debate.team_id,
        "question": debate.question,
        "personal_data_replaced": debate.pii_map,
        "category": debate.category,
        "language": debate.language,
        "status": debate.status,
        "rounds": debate.rounds,
        "created_at": debate.created_at,
        "started_at": debate.started_at,
        "finished_at": debate.finished_at,
        "shared_with_team": debate.shared_with_team,
        "is_public": debate.is_public,
        "input_tokens": debate.input_tokens,
        "output_tokens": debate.output_tokens,
        "cost_usd": debate.cost_usd,
        "final_answer": debate.synthesis,
        "scoreboard": debate.scoreboard,
        "results": debate.results,
        "anonymised_at": debate.anonymised_at,
        "seats": [
            {
                "position": seat.position,
                "label": seat.label,
                "model": seat.llm_model.key,
                "role": seat.role,
                "instruction": seat.instruction,
                "temperature": seat.temperature,
                "status": seat.status,
            }
            for seat in debate.seats.all()
        ],
        "turns": [
            {
                "seat": turn.seat.position,
                "round": turn.round,
                "status": turn.status,
                "content": turn.content,
                "stance": turn.stance,
                "confidence": turn.confidence,
                "key_claims": turn.key_claims,
                "input_tokens": turn.input_tokens,
                "output_tokens": turn.output_tokens,
                "cost_usd": turn.cost_usd,
                "latency_ms": turn.latency_ms,
                "at": turn.created_at,
            }
            for turn in debate.turns.all()
        ],
        "judgments": [
            {
                "judge": judgment.judge_model.key,
                "seat": judgment.seat.position,
                "status": judgment.status,
                "scores": judgment.scores,
                "total": judgment.total,
                "rationale": judgment.rationale,
            }
            for judgment in debate.judgments.all()
        ],
    }


# --- Delete my account -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeletionReport:
    teams_closed: int
    teams_left: int
    debates_anonymised: int
    keys_revoked: int
    subscriptions_cancelled: int


def account_delete(*, user: User) -> DeletionReport:
    """Delete the account for good, in this order:

    1. refuse while one of the user's debates still runs (a worker would write text after
       the wipe): they wait for it or cancel it;
    2. cancel at the period's end the subscriptions of the teams that close with the account
       (the personal one; a team where they are the last member). A team handed to another
       owner keeps its subscription: it is theirs to pay for and to stop. Stripe is called
       before anything changes here, so a Stripe failure leaves the account as it was;
    3. in one transaction: anonymise every debate they created and every debate of the
       closing teams (texts wiped, numbers kept for ratings and usage), revoke their keys and
       the closing teams' keys, hand teams over or close them, audit, and delete the user
       (their address leaves the audit log too, and Stripe's webhook deliveries that hold it)."""
    plan = departure_plan(user=user)
    closing = [team.pk for team in plan.close]
    if debates_unfinished_for_user(user=user, team_ids=closing):
        raise Conflict(
            _(
                "One of your debates is still running. Wait for it to finish or cancel it, "
                "then delete your account."
            )
        )
    cancelled = sum(
        subscription_cancel_for_team(team=team, actor=user, reason="account_deleted")
        for team in plan.close
    )
    user_id = user.pk
    with transaction.atomic():
        debates = debates_anonymise_for_user(user=user, team_ids=closing)
        keys = apikey_revoke_for_departure(user=user, teams=plan.close)
        teams_leave(user=user, plan=plan)
        report = DeletionReport(
            teams_closed=len(plan.close),
            teams_left=len(plan.hand_over),
            debates_anonymised=len(debates),
            keys_revoked=len(keys),
            subscriptions_cancelled=cancelled,
        )
        audit_record(actor=user, action="account.deleted", data=report.__dict__)
        files = [e.file.name for e in DataExport.objects.filter(user=user) if e.file.name]
        webhook_deliveries_erase(email=user.email)
        user_erase(user=user)
        transaction.on_commit(lambda: _files_delete(files))
    logger.info("account.deleted", user_id=user_id, **report.__dict__)
    return report

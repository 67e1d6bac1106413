"""Retention: debates older than RETAIN_DEBATES_DAYS lose their text for real, and audit
entries, ops' metrics and Stripe's webhook deliveries older than their own settings are
deleted. Everything is audited.
A deleted account's debates lose their text the same way, at once (`debates_anonymise_for_user`).

What an anonymised debate keeps: its numbers (tokens, cost, scores, ratings' outcomes, usage,
redaction counts), status and dates. What it loses: the question and its title, the seats'
instructions, every turn's text and claims, the judges' rationales, the final answer, the
failure detail, the placeholders' originals (pii_map), its whole event log (deltas included),
and any admin history line that quoted it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_purge, audit_record
from billing.retention import webhook_deliveries_purge
from consultation.exceptions import Conflict
from debates.models import (
    FINISHED_STATUSES,
    Debate,
    DebateDocument,
    DebateEvent,
    Judgment,
    Seat,
    Turn,
)
from ops.retention import ops_purge

logger = structlog.get_logger(__name__)

# What an anonymised debate's question reads; not the question, nor derived from it.
ANONYMISED_QUESTION = "[removed after the retention period]"
DELETED_QUESTION = "[removed: its author deleted their account]"


def _scrub_admin_history(debate_id: UUID, *, replacement: str = ANONYMISED_QUESTION) -> None:
    """Django admin's history stores str(object), the question's start for a debate."""
    for model, ids in (
        (Debate, [debate_id]),
        (Turn, Turn.objects.filter(debate_id=debate_id).values_list("pk", flat=True)),
        (Judgment, Judgment.objects.filter(debate_id=debate_id).values_list("pk", flat=True)),
        (Seat, Seat.objects.filter(debate_id=debate_id).values_list("pk", flat=True)),
    ):
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        ).update(object_repr=replacement, change_message="")


@transaction.atomic
def debate_anonymise(
    *, debate_id: UUID, actor: User | None = None, reason: str = "", replacement: str = ""
) -> bool:
    """Wipe one finished debate's text, keep its numbers, and audit it. Returns False when it
    was anonymised already. `reason` says why in the audit entry ("retention", "staff" by
    default; "account_deleted"), `replacement` what the question reads afterwards."""
    replacement = replacement or ANONYMISED_QUESTION
    debate = Debate.objects.select_for_update().get(pk=debate_id)
    if debate.anonymised_at is not None:
        return False
    if debate.status not in FINISHED_STATUSES:
        raise Conflict(_("A debate is anonymised only once it has finished."))
    Turn.objects.filter(debate_id=debate_id).update(content="", key_claims=[])
    Judgment.objects.filter(debate_id=debate_id).update(rationale="")
    Seat.objects.filter(debate_id=debate_id).update(instruction="")
    # A file's name is the person's words too ("smith-medical-history.pdf"): both go.
    DebateDocument.objects.filter(debate_id=debate_id).update(text="", name="")
    events = DebateEvent.objects.filter(debate_id=debate_id).delete()[0]
    _scrub_admin_history(debate_id, replacement=replacement)
    Debate.objects.filter(pk=debate_id).update(
        question=replacement,
        title="",
        pii_map={},
        synthesis={},
        failure_detail="",
        fence="",
        anonymised_at=timezone.now(),
        updated_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="debate.anonymised",
        team=debate.team,
        target=debate,
        data={
            "events_deleted": events,
            "by": reason or ("staff" if actor is not None else "retention"),
        },
    )
    return True


def debates_unfinished_for_user(*, user: User, team_ids: list[UUID]) -> int:
    """How many of the user's debates (or of `team_ids`') are still queued or running: an
    account is deleted only once none is, or a worker would write text after the wipe."""
    return (
        Debate.objects.filter(Q(created_by=user) | Q(team_id__in=team_ids))
        .exclude(status__in=FINISHED_STATUSES)
        .count()
    )


def debates_anonymise_for_user(*, user: User, team_ids: list[UUID]) -> list[UUID]:
    """Anonymise, now, every finished debate the user created (in any team) and every debate
    of `team_ids` (the teams closing with the account): texts wiped, numbers kept, as
    retention does. One transaction each, like retention; returns the ids wiped now."""
    ids = list(
        Debate.objects.filter(Q(created_by=user) | Q(team_id__in=team_ids))
        .filter(status__in=FINISHED_STATUSES, anonymised_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    return [
        debate_id
        for debate_id in ids
        if debate_anonymise(
            debate_id=debate_id, reason="account_deleted", replacement=DELETED_QUESTION
        )
    ]


@dataclass
class PurgeReport:
    dry_run: bool
    debates: list[UUID] = field(default_factory=list)
    audit_entries: int = 0
    ops: dict[str, int] = field(default_factory=dict)
    webhook_deliveries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "debates_anonymised": len(self.debates),
            "audit_entries_deleted": self.audit_entries,
            **{f"{name}_deleted": count for name, count in self.ops.items()},
            "webhook_deliveries_deleted": self.webhook_deliveries,
        }


def _days_ago(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def debates_expired(*, now: datetime | None = None) -> list[UUID]:
    """Finished debates created before RETAIN_DEBATES_DAYS that still have their text."""
    before = _days_ago(now or timezone.now(), settings.RETAIN_DEBATES_DAYS)
    return list(
        Debate.objects.filter(
            created_at__lt=before, status__in=FINISHED_STATUSES, anonymised_at__isnull=True
        )
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def retention_purge(*, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Anonymise expired debates (one transaction each), delete old audit entries and metrics,
    and audit the run. A dry run counts and changes nothing."""
    now = now or timezone.now()
    report = PurgeReport(dry_run=dry_run, debates=debates_expired(now=now))
    if not dry_run:
        report.debates = [
            debate_id for debate_id in report.debates if debate_anonymise(debate_id=debate_id)
        ]
    with transaction.atomic():
        report.audit_entries = audit_purge(
            before=_days_ago(now, settings.RETAIN_AUDIT_DAYS), dry_run=dry_run
        )
        report.ops = ops_purge(before=_days_ago(now, settings.RETAIN_METRICS_DAYS), dry_run=dry_run)
        report.webhook_deliveries = webhook_deliveries_purge(
            before=_days_ago(now, settings.RETAIN_WEBHOOKS_DAYS), dry_run=dry_run
        )
        if not dry_run:
            audit_record(
                actor=None,
                action="retention.purged",
                data={
                    **report.as_dict(),
                    "retain_days": {
                        "debates": settings.RETAIN_DEBATES_DAYS,
                        "audit": settings.RETAIN_AUDIT_DAYS,
                        "metrics": settings.RETAIN_METRICS_DAYS,
                        "webhooks": settings.RETAIN_WEBHOOKS_DAYS,
                    },
                },
            )
    logger.info("retention_purged", **report.as_dict())
    return report

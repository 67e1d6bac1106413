"""Retention: an expired debate keeps no text anywhere in the database (every text column of
every table is scanned), its numbers stay; old audit entries and metrics go; all audited."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from djstripe.models import WebhookEventTrigger

from accounts.models import AuditEntry, User
from billing.tests.factories import make_webhook_delivery
from debates.models import Debate, DebateEvent, DebateStatus, Judgment, Turn
from debates.orchestration.engine import DebatePipeline
from debates.services.retention import ANONYMISED_QUESTION, retention_purge
from debates.services.running import debate_run
from debates.tests import factories
from ops.metrics import metric_increment
from ops.models import MetricBucket, ProviderCall, ProviderStat
from ratings.models import PairwiseOutcome

pytestmark = pytest.mark.django_db

EMAIL = "marguerite.quux@example.net"
QUESTION = f"Should the Zanzibar marmalade cooperative ({EMAIL}) adopt a four-day week?"


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0
    settings.RETAIN_DEBATES_DAYS = 30
    settings.RETAIN_AUDIT_DAYS = 60
    settings.RETAIN_METRICS_DAYS = 7
    settings.RETAIN_WEBHOOKS_DAYS = 14


def finished_debate(owner: User, *, days_old: int, question: str = QUESTION) -> Debate:
    """A whole debate run with the demo provider, dated `days_old` days back."""
    debate = factories.make_debate(
        owner,
        question=question,
        models=("demo:demo-sage", "demo:demo-skeptic"),
        rounds=1,
        seats=None,
    )
    pipeline = DebatePipeline(heartbeat_s=3600)
    assert async_to_sync(debate_run)(debate.pk, pipeline=pipeline) == DebateStatus.COMPLETED
    Debate.objects.filter(pk=debate.pk).update(created_at=timezone.now() - timedelta(days=days_old))
    debate.refresh_from_db()
    return debate


def texts_of(debate: Debate) -> list[str]:
    """Distinctive pieces of everything the debate said: question, turns, rationales, the
    final answer, streamed deltas and the placeholder's original."""
    turn = Turn.objects.filter(debate=debate).exclude(content="").first()
    judgment = Judgment.objects.filter(debate=debate).exclude(rationale="").first()
    delta = DebateEvent.objects.filter(debate=debate, type="turn.delta").first()
    assert turn is not None
    assert judgment is not None
    assert delta is not None
    assert debate.synthesis
    pieces = [
        "Zanzibar marmalade",
        EMAIL,
        turn.content[:60],
        judgment.rationale[:60],
        str(debate.synthesis.get("recommendation", ""))[:60],
        str(delta.payload["text"])[:30],
    ]
    assert all(len(piece) >= 12 for piece in pieces), pieces
    return pieces


def database_cells() -> Iterator[tuple[str, str, str]]:
    """(table, column, value) of every text-like value in every table of the database."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (names from introspection)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", errors="replace")
                    if isinstance(value, str):
                        yield table, column, value


def where(pieces: list[str]) -> list[tuple[str, str, str]]:
    return [
        (table, column, piece)
        for table, column, value in database_cells()
        for piece in pieces
        if piece in value
    ]


def test_purge_leaves_no_text_of_an_expired_debate_anywhere(owner: User, staff: User) -> None:
    expired = finished_debate(owner, days_old=45)
    # Not run: the demo provider's generic sentences would be in its turns too.
    recent = factories.make_debate(owner, status=DebateStatus.COMPLETED)
    pieces = texts_of(expired)
    # Admin history quotes a debate (str(debate) is its question's start).
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=Debate.objects.filter(pk=expired.pk),
        action_flag=CHANGE,
        change_message="Changed question.",
    )
    before = {location[:2] for location in where(pieces)}
    assert ("debates_debate", "question") in before
    assert ("debates_turn", "content") in before
    assert ("debates_debateevent", "payload") in before
    assert ("debates_debate", "pii_map") in before
    usage = (expired.input_tokens, expired.output_tokens, expired.cost_usd, expired.scoreboard)
    outcomes = PairwiseOutcome.objects.filter(debate_id=expired.pk).count()

    report = retention_purge()

    assert report.debates == [expired.pk]
    assert where(pieces) == [], "text of the expired debate is still in the database"
    expired.refresh_from_db()
    assert expired.question == ANONYMISED_QUESTION
    assert expired.anonymised_at is not None
    assert (expired.input_tokens, expired.output_tokens, expired.cost_usd, expired.scoreboard) == (
        usage
    )
    assert Turn.objects.filter(debate=expired).count() == 4  # 2 seats x (opening + 1 round)
    assert PairwiseOutcome.objects.filter(debate_id=expired.pk).count() == outcomes
    # The recent debate is untouched.
    recent.refresh_from_db()
    assert recent.question == factories.QUESTION
    assert recent.anonymised_at is None
    [entry] = AuditEntry.objects.filter(action="debate.anonymised")
    assert entry.target_id == str(expired.pk)
    assert entry.data["by"] == "retention"
    assert AuditEntry.objects.get(action="retention.purged").data["debates_anonymised"] == 1
    # Idempotent: nothing left to do.
    assert retention_purge().debates == []


def test_old_audit_entries_and_metrics_are_deleted(owner: User) -> None:
    old = timezone.now() - timedelta(days=90)
    AuditEntry.objects.create(action="team.created", created_at=old)
    metric_increment(name="ratelimit.hit", label="free", at=timezone.now() - timedelta(days=8))
    metric_increment(name="ratelimit.hit", label="free")
    ProviderCall.objects.create(
        provider="demo", model="m", ok=True, created_at=timezone.now() - timedelta(days=8)
    )
    ProviderStat.objects.create(
        provider="demo", model="m", bucket=timezone.now() - timedelta(days=8)
    )
    kept_audit = AuditEntry.objects.filter(created_at__gte=old + timedelta(days=1)).count()

    dry = retention_purge(dry_run=True)
    assert dry.audit_entries == 1
    assert dry.ops == {"metric_buckets": 1, "provider_stats": 1, "provider_calls": 1}
    assert AuditEntry.objects.filter(created_at=old).exists()
    assert not AuditEntry.objects.filter(action="retention.purged").exists()

    report = retention_purge()
    assert report.audit_entries == 1
    assert not AuditEntry.objects.filter(created_at=old).exists()
    assert AuditEntry.objects.filter(created_at__gte=old + timedelta(days=1)).count() == (
        kept_audit + 1  # the purge's own entry
    )
    assert MetricBucket.objects.count() == 1
    assert not ProviderCall.objects.exists()
    assert not ProviderStat.objects.exists()


def test_webhook_deliveries_older_than_their_period_are_deleted() -> None:
    old = make_webhook_delivery(email=EMAIL, days_old=15)
    recent = make_webhook_delivery(email=EMAIL, days_old=13)

    assert retention_purge(dry_run=True).webhook_deliveries == 1
    assert WebhookEventTrigger.objects.count() == 2

    report = retention_purge()

    assert report.webhook_deliveries == 1
    assert list(WebhookEventTrigger.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not WebhookEventTrigger.objects.filter(pk=old.pk).exists()
    audited = AuditEntry.objects.get(action="retention.purged").data
    assert audited["webhook_deliveries_deleted"] == 1
    assert audited["retain_days"]["webhooks"] == 14


def test_the_command_dry_run_changes_nothing(owner: User, capsys: Any) -> None:
    expired = finished_debate(owner, days_old=45)
    call_command("purge_retention", "--dry-run")
    assert "Would remove: 1 debates anonymised" in capsys.readouterr().out
    expired.refresh_from_db()
    assert expired.anonymised_at is None
    call_command("purge_retention")
    assert "Removed: 1 debates anonymised" in capsys.readouterr().out
    expired.refresh_from_db()
    assert expired.anonymised_at is not None


def test_the_periodic_task_purges(owner: User) -> None:
    from debates.tasks import purge_retention

    expired = finished_debate(owner, days_old=45)
    result = purge_retention.enqueue()
    assert result.return_value["debates_anonymised"] == 1
    expired.refresh_from_db()
    assert expired.anonymised_at is not None


def test_the_admin_action_anonymises_one_debate_with_an_audit_entry(
    owner: User, staff: User
) -> None:
    debate = finished_debate(owner, days_old=1)
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/debates/debate/",
        {"action": "anonymise", "_selected_action": [str(debate.pk)]},
    )
    assert response.status_code == 302
    debate.refresh_from_db()
    assert debate.question == ANONYMISED_QUESTION
    assert not DebateEvent.objects.filter(debate=debate).exists()
    entry = AuditEntry.objects.get(action="debate.anonymised")
    assert entry.actor == staff
    assert entry.data["by"] == "staff"
    # The change page shows the (now empty) transcript, read-only.
    page = client.get(f"/admin/debates/debate/{debate.pk}/change/")
    assert page.status_code == 200
    assert "Transcript" in page.content.decode()
    assert ContentType.objects.get_for_model(Debate)

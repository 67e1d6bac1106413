"""Deleting an account: no text of the user's debates is left in any text column of any
table, numbers stay, keys are revoked, teams are handed over or closed, subscriptions end
with the period, and it takes the password and the address typed out."""

from collections.abc import Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from asgiref.sync import async_to_sync
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import models
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse
from djstripe.models import WebhookEventTrigger

from accounts.models import AuditEntry, MemberRole, Membership, Team, User
from accounts.tests.factories import make_team, make_user
from apikeys.models import APIKey
from apikeys.tests.factories import make_key
from billing.models import BillingAccount, SubscriptionStatus, UsageRecord
from billing.tests.conftest import network_guard, stripe_on, stripe_vcr  # noqa: F401
from billing.tests.factories import make_webhook_delivery
from conftest import PASSWORD
from consultation.exceptions import Conflict
from debates.models import Debate, DebateEvent, DebateStatus, Judgment, Turn
from debates.orchestration.engine import DebatePipeline
from debates.services.retention import DELETED_QUESTION
from debates.services.running import debate_run
from debates.tests import factories
from debates.tests.test_retention import database_cells
from privacy.services import account_delete
from ratings.models import PairwiseOutcome

pytestmark = pytest.mark.django_db

EMAIL = "philippa.quorn@example.org"
QUESTION = f"Should the Vltava pumpkin syndicate ({EMAIL}) merge with its rival co-op?"
SUBSCRIPTION = "sub_1SPq8ZLkdIwHu7ixQm4Yt2Rb"


@pytest.fixture(autouse=True)
def _fast_deltas(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0


def run_debate(owner: User, *, team: Team | None = None, question: str = QUESTION) -> Debate:
    debate = factories.make_debate(owner, team=team, question=question, rounds=1)
    assert (
        async_to_sync(debate_run)(debate.pk, pipeline=DebatePipeline(heartbeat_s=3600))
        == DebateStatus.COMPLETED
    )
    debate.refresh_from_db()
    return debate


def distinctive_texts(debate: Debate) -> list[str]:
    turn = Turn.objects.filter(debate=debate).exclude(content="").first()
    judgment = Judgment.objects.filter(debate=debate).exclude(rationale="").first()
    delta = DebateEvent.objects.filter(debate=debate, type="turn.delta").first()
    assert turn is not None
    assert judgment is not None
    assert delta is not None
    pieces = [
        "Vltava pumpkin syndicate",
        EMAIL,
        turn.content[:60],
        judgment.rationale[:60],
        str(debate.synthesis.get("recommendation", ""))[:60],
        str(delta.payload["text"])[:30],
    ]
    assert all(len(piece) >= 12 for piece in pieces), pieces
    return pieces


def text_columns() -> Iterator[tuple[type[models.Model], models.Field[Any, Any]]]:
    """Every CharField, TextField and JSONField (EmailField, SlugField, URLField... are
    CharFields) of every model the app registry knows, auto-created ones included."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model, field


def registry_hits(pieces: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, piece) wherever a piece is found, each column asked in the database."""
    hits = []
    for model, field in text_columns():
        column = Cast(field.attname, output_field=models.TextField())
        for piece in pieces:
            # JSON stores non-ASCII escaped on some backends: look for both spellings.
            needles = {piece, piece.encode("ascii", "backslashreplace").decode()}
            for needle in needles:
                found = (
                    model._default_manager.annotate(_text=column)
                    .filter(_text__contains=needle)
                    .exists()
                )
                if found:
                    hits.append((model._meta.db_table, str(field.column), piece))
    return hits


def raw_hits(pieces: list[str]) -> list[tuple[str, str, str]]:
    """The same, over every table the database has (those no model describes too)."""
    return [
        (table, column, piece)
        for table, column, value in database_cells()
        for piece in pieces
        if piece in value
    ]


def test_deleting_an_account_leaves_no_text_of_its_debates_anywhere(
    owner: User, member: User, team: Team, staff: User
) -> None:
    Membership.objects.filter(team=team, user=member).update(role=MemberRole.ADMIN)
    personal = run_debate(member)
    in_team = run_debate(member, team=team, question=f"{QUESTION} (team edition)")
    # Not run: the demo provider's generic sentences would be in its turns too.
    others = factories.make_debate(
        owner, team=team, question="Should Acme ship the quarterly report?", status="completed"
    )
    pieces = distinctive_texts(personal) + distinctive_texts(in_team)
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=Debate.objects.filter(pk__in=[personal.pk, in_team.pk]),
        action_flag=CHANGE,
        change_message="Changed question.",
    )
    before = {hit[:2] for hit in registry_hits(pieces)}
    assert {
        ("debates_debate", "question"),
        ("debates_turn", "content"),
        ("debates_judgment", "rationale"),
        ("debates_debate", "synthesis"),
        ("debates_debateevent", "payload"),
        ("debates_debate", "pii_map"),
        ("django_admin_log", "object_repr"),
    } <= before
    numbers = {
        d.pk: (d.input_tokens, d.output_tokens, d.cost_usd, d.scoreboard)
        for d in (personal, in_team)
    }
    outcomes = PairwiseOutcome.objects.filter(debate_id__in=numbers).count()
    usage = UsageRecord.objects.filter(debate_id__in=numbers).count()
    assert outcomes
    assert usage

    report = account_delete(user=member)

    assert registry_hits(pieces) == [], "text of the deleted account's debates is still stored"
    assert raw_hits(pieces) == []
    assert not User.objects.filter(email="member@example.com").exists()
    for debate in (personal, in_team):
        debate.refresh_from_db()
        assert debate.question == DELETED_QUESTION
        assert debate.created_by is None
        assert (debate.input_tokens, debate.output_tokens, debate.cost_usd, debate.scoreboard) == (
            numbers[debate.pk]
        )
    assert PairwiseOutcome.objects.filter(debate_id__in=numbers).count() == outcomes
    assert UsageRecord.objects.filter(debate_id__in=numbers).count() == usage
    # Another member's debate in the shared team keeps its text.
    others.refresh_from_db()
    assert others.question == "Should Acme ship the quarterly report?"
    assert report.debates_anonymised == 2
    assert not AuditEntry.objects.filter(actor_email="member@example.com").exists()


def test_stripe_webhook_deliveries_that_name_the_account_go_with_it(member: User) -> None:
    make_webhook_delivery(email=member.email.upper())
    kept = make_webhook_delivery(email="someone.else@example.com")

    account_delete(user=member)

    assert list(WebhookEventTrigger.objects.values_list("pk", flat=True)) == [kept.pk]


def test_keys_are_revoked_and_teams_handed_over_or_closed(
    owner: User, member: User, team: Team
) -> None:
    Membership.objects.filter(team=team, user=member).update(role=MemberRole.ADMIN)
    solo = make_team(owner=member, name="Member's lab")
    led = make_team(owner=member, name="Member's club")
    successor = make_user(email="successor@example.com")
    plain = make_user(email="plain@example.com")
    Membership.objects.create(team=led, user=plain, role=MemberRole.MEMBER)
    Membership.objects.create(team=led, user=successor, role=MemberRole.ADMIN)
    personal = Team.objects.get(created_by=member, is_personal=True)
    keys = [
        make_key(actor=member, team=team).api_key,
        make_key(actor=member, team=personal).api_key,
        make_key(actor=member, team=solo).api_key,
    ]
    owners_key = make_key(actor=owner, team=team).api_key

    report = account_delete(user=member)

    assert all(APIKey.objects.get(pk=k.pk).revoked_at is not None for k in keys)
    assert APIKey.objects.get(pk=owners_key.pk).revoked_at is None
    revoked = AuditEntry.objects.filter(action="apikey.revoked", team=team).get()
    assert revoked.data["reason"] == "account_deleted"
    # Personal and solo: closed, their rows kept.
    for closed in (personal, solo):
        closed.refresh_from_db()
        assert closed.closed_at is not None
        assert not closed.memberships.exists()
    # Led: the admin (not the older plain member) becomes owner.
    assert Membership.objects.get(team=led, user=successor).role == MemberRole.OWNER
    assert Membership.objects.get(team=led, user=plain).role == MemberRole.MEMBER
    handed = AuditEntry.objects.get(action="team.ownership_transferred", team=led)
    assert handed.data["to"] == "successor@example.com"
    # Team: still owned by its owner; the member simply left.
    assert list(team.memberships.values_list("user__email", flat=True)) == ["owner@example.com"]
    assert (report.teams_closed, report.teams_left, report.keys_revoked) == (2, 2, 3)


def test_a_running_debate_stops_the_deletion_before_anything_changes(member: User) -> None:
    factories.make_debate(member, status=DebateStatus.RUNNING)
    with pytest.raises(Conflict):
        account_delete(user=member)
    assert User.objects.filter(pk=member.pk).exists()


def test_the_subscription_of_a_closing_team_ends_with_its_period(
    member: User,
    stripe_on: Any,  # noqa: F811
) -> None:
    personal = Team.objects.get(created_by=member, is_personal=True)
    BillingAccount.objects.update_or_create(
        team=personal,
        defaults={
            "stripe_customer_id": "cus_TJq4Xw9bLk2MzR",
            "stripe_subscription_id": SUBSCRIPTION,
            "status": SubscriptionStatus.ACTIVE,
        },
    )
    with stripe_vcr.use_cassette("subscription_cancel_at_period_end.yaml") as cassette:
        report = account_delete(user=member)
    assert cassette.play_count == 1
    assert report.subscriptions_cancelled == 1
    entry = AuditEntry.objects.get(action="billing.cancel_requested", team=personal)
    assert entry.data == {"subscription": SUBSCRIPTION, "reason": "account_deleted"}


def test_the_page_asks_for_the_password_and_the_address(member: User) -> None:
    client = Client()
    client.force_login(member)
    page = client.get("/settings/privacy/delete/")
    assert page.status_code == 200
    assert b'name="password"' in page.content

    wrong = client.post("/settings/privacy/delete/", {"email": member.email, "password": "nope"})
    assert wrong.status_code == 200
    assert User.objects.filter(pk=member.pk).exists()
    typo = client.post(
        "/settings/privacy/delete/", {"email": "x@example.com", "password": PASSWORD}
    )
    assert typo.status_code == 200
    assert User.objects.filter(pk=member.pk).exists()

    done = client.post("/settings/privacy/delete/", {"email": member.email, "password": PASSWORD})
    assert done.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()
    assert client.get("/settings/privacy/").status_code == 302  # logged out


def test_an_account_without_a_password_reauthenticates_with_allauth(member: User) -> None:
    member.set_unusable_password()
    member.save()
    SocialAccount.objects.create(user=member, provider="google", uid="104729")
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    client = Client()
    client.force_login(member)
    # force_login records no recent authentication: the POST is sent to re-authenticate
    # first, by a code e-mailed to the verified address (there is no password to ask for).
    response = client.post("/settings/privacy/delete/", {"email": member.email})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_reauthentication_code"))
    assert User.objects.filter(pk=member.pk).exists()

"""Admin for usage: read-only records and reservations, searchable by debate id; every team's
usage this period on one page, for staff only."""

from uuid import uuid4

import pytest
from django.test import Client

from accounts.models import Team, User
from accounts.tests.factories import make_team
from billing.tests.factories import make_usage, put_on_plan

pytestmark = pytest.mark.django_db

RECORDS = "/admin/billing/usagerecord/"
RESERVATIONS = "/admin/billing/quotareservation/"
TEAMS = "/admin/billing/usagerecord/teams/"


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def other_team(outsider: User) -> Team:
    return make_team(owner=outsider, name="Other Lab")


def test_usage_records_and_reservations_are_read_only(staff_client: Client, team: Team) -> None:
    record = make_usage(team)
    for url in (RECORDS, RESERVATIONS):
        page = staff_client.get(url)
        assert page.status_code == 200
        assert str(record.debate_id) in page.content.decode()
        assert f'href="{url}add/"' not in page.content.decode()
        assert staff_client.get(f"{url}add/").status_code == 403
    detail = staff_client.get(f"{RECORDS}{record.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_usage_records_search_by_debate_id_and_filter_by_team(
    staff_client: Client, team: Team, other_team: Team
) -> None:
    wanted = uuid4()
    make_usage(team, debate_id=wanted, model_key="demo:demo-sage")
    make_usage(team, model_key="demo:demo-skeptic")
    make_usage(other_team, model_key="demo:demo-scout")

    found = staff_client.get(RECORDS, {"q": str(wanted)}).content.decode()
    assert str(wanted) in found
    assert "demo:demo-skeptic" not in found
    assert staff_client.get(RECORDS, {"q": "not-a-uuid"}).status_code == 200

    by_team = staff_client.get(RECORDS, {"team__id__exact": str(other_team.pk)}).content.decode()
    assert "demo:demo-scout" in by_team
    assert "demo:demo-sage" not in by_team
    reservations = staff_client.get(RESERVATIONS, {"q": str(wanted)}).content.decode()
    assert str(wanted) in reservations


def test_team_usage_page_lists_this_periods_totals(
    staff_client: Client, team: Team, other_team: Team
) -> None:
    put_on_plan(team, "pro")
    make_usage(team, input_tokens=12_000, output_tokens=345, cost_usd="2.5")
    make_usage(other_team, input_tokens=10, output_tokens=0)

    response = staff_client.get(TEAMS)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Usage by team, this period" in page
    row = page[page.index(f'data-team="{team.pk}"') :].split("</tr>")[0]
    assert "Acme Research" in row
    assert "<td>Pro</td>" in row
    assert "<td>12,345</td>" in row
    assert "<td>$2.50</td>" in row
    assert page.index("Acme Research") < page.index("Other Lab")  # the heaviest first

    pro_only = staff_client.get(TEAMS, {"plan": "pro"}).content.decode()
    assert "Acme Research" in pro_only
    assert "Other Lab" not in pro_only
    free = staff_client.get(TEAMS, {"plan": "free"}).content.decode()
    assert "Other Lab" in free
    assert "Acme Research" not in free
    searched = staff_client.get(TEAMS, {"q": "other"}).content.decode()
    assert "Other Lab" in searched
    assert "Acme Research" not in searched
    # The records list links to it.
    assert f'href="{TEAMS}"' in staff_client.get(RECORDS).content.decode()


def test_team_usage_page_is_for_staff_only(owner_client: Client, anon_client: Client) -> None:
    for client in (owner_client, anon_client):
        response = client.get(TEAMS)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

"""Words a new user reads (issue 8): team activity as sentences, the personal team's name in
the visitor's language, the logout and sign-up pages worded as the navigation, the Hall of
fame in the signed-in navigation, and a real favicon."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from accounts.activity import activity_sentence
from accounts.models import AuditEntry, Team, User

pytestmark = pytest.mark.django_db


def test_team_activity_reads_as_sentences(owner: User, owner_client: Client, team: Team) -> None:
    AuditEntry.objects.create(
        actor=owner, actor_email=owner.email, team=team, action="debate.made_public"
    )
    html = owner_client.get(f"/teams/{team.pk}/").content.decode()
    assert f"{owner.email} created the team." in html
    assert f"{owner.email} opened a public link to a debate." in html
    assert "<code>team.created</code>" not in html
    assert "debate.made_public" not in html


def test_team_activity_in_turkish() -> None:
    entry = AuditEntry(actor_email="a@example.com", action="team.created")
    with translation.override("tr"):
        sentence = activity_sentence(entry)
    assert sentence != "a@example.com created the team."
    assert "a@example.com" in sentence


def test_the_personal_team_is_named_in_the_visitors_language(owner: User) -> None:
    personal = Team.objects.get(created_by=owner, is_personal=True)
    assert personal.name == "Personal"
    with translation.override("tr"):
        assert personal.display_name == "Kişisel"
    assert personal.display_name == "Personal"
    personal.name = "Ada's corner"
    assert personal.display_name == "Ada's corner"  # a name someone chose stays theirs


def test_the_nav_and_the_pages_agree_on_the_words(
    owner_client: Client, anon_client: Client
) -> None:
    html = owner_client.get("/dashboard/").content.decode()
    assert 'href="/hall-of-fame/"' in html
    assert "Log out" in html
    logout = owner_client.get("/accounts/logout/").content.decode()
    assert "<title>Log out" in logout
    assert "Sign Out" not in logout
    anon_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    signup = anon_client.get("/accounts/signup/").content.decode()
    assert "Kaydol" in signup
    assert "Üye Ol" not in signup


def test_a_real_favicon_is_served_and_linked(anon_client: Client) -> None:
    response = anon_client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/favicon.ico"' in anon_client.get("/").content.decode()

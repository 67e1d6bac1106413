"""Abuse from a signed-in stranger: every route that names an object by id, tried with another
team's ids, answers 404 (or 405 for a method the route has not) and changes nothing; session
writes without a CSRF token are refused in the error shape.

The routes are read from the URL resolver, not listed here: a new route with an id in its path
fails `test_every_route_with_an_id_is_covered` until this module knows how to make a victim
object for it. Oversized and malformed bodies are consultation/tests/test_bad_input.py's; bad
webhook signatures billing/tests/test_webhooks.py's; markup in questions and model output
tests/e2e/test_live_e2e.py's (`test_question_with_markup_stays_inert`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invitation, Membership, Team, User
from accounts.services import invitation_create
from accounts.tests.factories import make_team, make_user
from apikeys.models import APIKey
from apikeys.tests.factories import make_key
from debates.models import Debate
from debates.tests.factories import make_debate
from evals.models import Evaluation
from privacy.models import DataExport
from providerkeys.models import ProviderKey
from providerkeys.services import key_save

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db,
    pytest.mark.usefixtures("pro_by_default"),
]

# Routes whose path parameters are not object ids of a team: staff-only admin pages (Django's
# own permission checks), allauth's token links, and names looked up by value (a model's key,
# a plan's slug, a public handle, an invitation token: a wrong one is a plain 404).
# A provider's name is the same for every team: on the team's own page it names the team's key
# (the team id in the path is the owned object), on /api/v1/provider-keys/ the caller's own.
_NOT_OWNED = {"key", "slug", "handle", "token", "path", "url", "app_label", "provider"}


@dataclass(frozen=True)
class Route:
    path: str  # e.g. "debates/<uuid:debate_id>/live/"
    name: str | None
    params: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            converters = getattr(pattern.pattern, "converters", {})
            yield Route(prefix + str(pattern.pattern), pattern.name, tuple(converters))


def _owned_routes() -> list[Route]:
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if route.params
        and not route.path.startswith("admin/")
        and not set(route.params) <= _NOT_OWNED
    ]


@dataclass
class Victim:
    """Another team's objects, one of each kind a path can name."""

    owner: User
    team: Team
    ids: dict[str, str]

    def fingerprint(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [model_to_dict(Team.objects.get(pk=self.team.pk))]
        for model in (Debate, APIKey, Membership, Invitation, Evaluation, ProviderKey):
            for obj in model.objects.filter(team=self.team).order_by("pk"):
                rows.append({"model": model.__name__, **model_to_dict(obj)})
        for export in DataExport.objects.filter(user=self.owner).order_by("pk"):
            rows.append({"model": "DataExport", **model_to_dict(export)})
        return rows


def _victim() -> Victim:
    owner = make_user(email=f"victim-{uuid.uuid4().hex[:8]}@example.com")
    member = make_user(email=f"victim-member-{uuid.uuid4().hex[:8]}@example.com")
    team = make_team(owner=owner, name="Victims", members={member: "member"})
    debate = make_debate(owner, team=team)
    key = make_key(actor=owner, team=team)
    invitation = invitation_create(actor=owner, team=team, email="invitee@example.com")
    evaluation = Evaluation.objects.create(team=team, name="Victims' evaluation")
    other_debate = make_debate(owner, team=team)
    export = DataExport.objects.create(user=owner)
    key_save(actor=owner, team=team, provider="openai", secret="sk-victim-" + "x" * 24)
    ids = {
        "debate_id": str(debate.pk),
        "key_id": str(key.api_key.pk),
        "team_id": str(team.pk),
        "invitation_id": str(invitation.pk),
        "membership_id": str(Membership.objects.get(team=team, user=member).pk),
        "evaluation_id": str(evaluation.pk),
        "other_id": str(other_debate.pk),
        "export_id": str(export.pk),
        "provider": "openai",
    }
    return Victim(owner=owner, team=team, ids=ids)


def _url(route: Route, victim: Victim) -> str:
    path = route.path
    for param in route.params:
        converter_start = path.index("<")
        converter_end = path.index(">", converter_start)
        path = path[:converter_start] + victim.ids[param] + path[converter_end + 1 :]
    return "/" + path


def test_every_route_with_an_id_is_covered() -> None:
    known = {
        "debate_id",
        "key_id",
        "team_id",
        "invitation_id",
        "membership_id",
        "evaluation_id",
        "other_id",
        "export_id",
        "provider",
    }
    unknown = {
        f"{route.path} ({param})"
        for route in _owned_routes()
        for param in route.params
        if param not in known
    }
    assert not unknown, f"teach _victim() to make an object for: {sorted(unknown)}"


@pytest.fixture
def stranger() -> tuple[Client, str]:
    """A signed-in user of another team, with a session and a key of every scope."""
    user = make_user(email=f"stranger-{uuid.uuid4().hex[:8]}@example.com")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    team = Team.objects.get(created_by=user, is_personal=True)
    return client, make_key(actor=user, team=team).key


_PUBLIC = {"debate-public"}  # `d/<id>/` serves public debates only: a private one is a 404


def _cases() -> list[Any]:
    """Each route with the stranger's session; API routes also with the key alone, no session
    (what a script holding a leaked id would send)."""
    return [
        pytest.param(route, auth, id=f"{auth}-{route.name or route.path}")
        for route in _owned_routes()
        for auth in (("session", "key") if route.path.startswith("api/") else ("session",))
        if not (route.path.endswith("/stream/"))  # the ASGI consumer's: debates/tests
    ]


@pytest.mark.parametrize(("route", "auth"), _cases())
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_another_teams_object_is_404_and_unchanged(
    route: Route, method: str, auth: str, stranger: tuple[Client, str]
) -> None:
    victim = _victim()
    before = victim.fingerprint()
    client, key = stranger
    url = _url(route, victim)
    if auth == "key":
        client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {key}"})
    response = getattr(client, method)(url)
    # Key management is for signed-in people only: a key is refused there whatever the id.
    allowed = {404, 405} | ({403} if auth == "key" and "/keys/" in url else set())
    assert response.status_code in allowed, (url, method, response.status_code)
    if url.startswith("/api/"):
        body = response.json()
        assert body["code"] in ("not_found", "method_not_allowed", "permission_denied"), body
    assert victim.fingerprint() == before


# Views that take no CSRF token on purpose: Stripe's webhook (its signature is the check, in
# billing/tests/test_webhooks.py), Google One Tap's token post (the signed Google credential
# is the check; a 404 while Google sign-in is off, accounts/tests/test_adapters.py) and the
# JSON 404 for unknown /api/ paths (it changes nothing).
_CSRF_EXEMPT = {"stripe-webhook", "google_login_by_token", None}


def _write_routes() -> list[Any]:
    routes = [
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.path.startswith(("admin/", "accounts/^", "^"))
        and not set(route.params) & _NOT_OWNED
        and not route.path.endswith("/stream/")
        and route.name not in _CSRF_EXEMPT
    ]
    return [pytest.param(route, id=route.name or route.path) for route in routes]


@pytest.mark.parametrize("route", _write_routes())
def test_a_session_write_without_the_csrf_token_is_refused_and_changes_nothing(
    route: Route,
) -> None:
    victim = _victim()
    before = victim.fingerprint()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(victim.owner)  # the objects' own owner: only the token is missing
    url = _url(route, victim)
    response = client.post(url, {"name": "x", "question": "Changed?"})
    assert response.status_code in (403, 405), (url, response.status_code)
    # The schema and its docs page answer in their own formats (OpenAPI, HTML), errors too.
    if url.startswith("/api/v1/") and route.name != "api-schema" and response.status_code == 403:
        assert response.json()["code"] in ("csrf_failed", "permission_denied"), response.json()
    assert victim.fingerprint() == before

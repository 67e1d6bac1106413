"""Central fixtures: the named cast (owner, member, outsider, staff) and a client per credential.

Every test gets a fresh database transaction (pytest-django) and an empty cache, so tests pass
in any order and any subset. See docs/TESTING.md for the pattern.
"""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import MemberRole, Membership, Team, User
from accounts.tests.factories import make_team, make_user

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(owner: User) -> Team:
    """A shared (non-personal) team owned by `owner`, with `member` in it."""
    return make_team(owner=owner, name="Acme Research")


@pytest.fixture
def owner() -> User:
    return make_user(email="owner@example.com", password=PASSWORD)


@pytest.fixture
def member(team: Team) -> User:
    user = make_user(email="member@example.com", password=PASSWORD)
    Membership.objects.create(team=team, user=user, role=MemberRole.MEMBER)
    return user


@pytest.fixture
def outsider() -> User:
    return make_user(email="outsider@example.com", password=PASSWORD)


@pytest.fixture
def staff() -> User:
    return make_user(email="staff@example.com", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def anon_client() -> Client:
    return Client()


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def member_client(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    client = Client()
    client.force_login(outsider)
    return client

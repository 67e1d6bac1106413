from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
import structlog.testing
from django.test import Client

from accounts.models import Team, User
from apikeys.tests.factories import make_key


@pytest.fixture
def team_key(owner: User, team: Team) -> str:
    """A key of the shared team with every scope, made by its owner."""
    return make_key(actor=owner, team=team).key


@pytest.fixture
def key_client(team_key: str) -> Client:
    """A client that sends the team's key and no cookie."""
    return Client(headers={"Authorization": f"Bearer {team_key}"})


@pytest.fixture
def capture_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """structlog events emitted during the test (structlog's own capture)."""
    with structlog.testing.capture_logs() as events:
        yield events

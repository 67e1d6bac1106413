"""Central fixtures: the named cast (owner, member, outsider, staff) and a client per credential.

Every test gets a fresh database transaction (pytest-django) and an empty cache, so tests pass
in any order and any subset. See docs/TESTING.md for the pattern.

Seed data (the model catalog, the plans) is created by `post_migrate`, which Django sends once
the test database is built and again after every flush of a transactional test: every test sees
it, whatever ran before, with no `serialized_rollback`.
"""

import gc
import logging
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import django_ratelimit.core
import pytest
from django.apps import AppConfig
from django.core.cache import caches
from django.db.models.signals import post_migrate
from django.test import Client
from django.utils import translation

from accounts.models import MemberRole, Membership, Team, User
from accounts.tests.factories import make_team, make_user
from billing.plans import plans_seed
from debates.catalog import catalog_seed
from ops.events import LogEvents

PASSWORD = "correct-horse-battery-staple"


def _seed(sender: AppConfig, using: str, **kwargs: Any) -> None:
    """What the data migrations seed in a real database (the test database has no migrations
    on SQLite, and a flush empties it): idempotent, so running after migrations is harmless."""
    if sender.label == "debates":
        catalog_seed(using=using)
    elif sender.label == "billing":
        plans_seed(using=using)


post_migrate.connect(_seed, dispatch_uid="tests-seed-data")


@pytest.fixture(autouse=True)
def _isolated_language() -> Iterator[None]:
    """A request in Turkish (or a login with a Turkish profile) leaves Turkish active in the
    thread; a later test outside a request would render in it. Each test starts in the default
    language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture(autouse=True)
def _rate_windows_hold_still(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rate limit's minute is a fixed window that starts anywhere in the clock's minute
    (billing.ratelimits): a test that sends a limit's worth of requests and expects the next
    one refused failed whenever the window turned over between them. django-ratelimit reads
    the clock here alone, to pick the window; within a test it reads one instant."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def log_events(caplog: pytest.LogCaptureFixture) -> LogEvents:
    """The structured log events of the test, from INFO up, context and redaction applied:
    `log_events.assert_event("debate.created", team_id=...)` checks the catalogue's fields
    (ops/events.py)."""
    caplog.set_level(logging.INFO)
    return LogEvents(caplog)


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what is alive after collection (Django, every test module) out of the garbage
    collector's reach: its full collections then scan only what the tests allocate (~10% of
    the suite's CPU time)."""
    gc.collect()
    gc.freeze()


# --- Figures that tests report (the safety corpora's recall and precision, the load run's) ---

# user_properties key -> the summary section its figures are printed under
_FIGURE_SECTIONS = {"safety_figure": "safety corpus figures", "load_figure": "load run figures"}
_FIGURES: dict[str, dict[str, str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect figures from reports: this runs where the summary is printed, xdist or not."""
    for key, value in report.user_properties:
        if key in _FIGURE_SECTIONS and isinstance(value, str):
            name, _, figure = value.partition(": ")
            _FIGURES.setdefault(_FIGURE_SECTIONS[key], {})[name] = figure


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for section, figures in _FIGURES.items():
        terminalreporter.section(section)
        for name, figure in sorted(figures.items()):
            terminalreporter.write_line(f"{name}: {figure}")


@pytest.fixture
def pro_by_default(db: None) -> None:
    """Teams without a subscription get Pro instead of Free: for tests of the engine, whose
    real-provider panels and debate counts the Free plan would refuse (billing's own tests
    cover the refusals)."""
    from billing.models import Plan

    Plan.objects.update(is_default=False)
    Plan.objects.filter(slug="pro").update(is_default=True)

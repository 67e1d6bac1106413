"""dj-stripe's schema comes from billing/djstripe_migrations, which must cover dj-stripe's own.

A database that applied dj-stripe's migrations is up to date only if every one of them is
replaced by a migration of ours; an upgrade of dj-stripe that ships a new one fails here until
it is followed (billing/djstripe_migrations/__init__.py says how).
"""

import pkgutil

import djstripe.migrations
import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from billing import djstripe_migrations

SQUASHED = "0001_squashed_0003_2_11"


def shipped_by_djstripe() -> set[tuple[str, str]]:
    """The migrations the installed dj-stripe ships, read from its package, not from settings."""
    return {
        ("djstripe", module.name)
        for module in pkgutil.iter_modules(djstripe.migrations.__path__)
        if module.name[:4].isdigit()
    }


def test_djstripe_migrations_are_ours_in_every_environment() -> None:
    assert settings.MIGRATION_MODULES["djstripe"] == djstripe_migrations.__name__


def test_djstripe_migrations_replace_every_migration_djstripe_ships() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    replaced = {
        target
        for (app, _name), migration in loader.disk_migrations.items()
        if app == "djstripe"
        for target in migration.replaces
    }
    shipped = shipped_by_djstripe()
    assert shipped, "dj-stripe's own migrations were not found"
    assert not shipped - replaced, (
        f"dj-stripe ships migrations none of ours replaces: {sorted(shipped - replaced)}; "
        "see billing/djstripe_migrations/__init__.py"
    )


# Outside a transaction: the SQLite test database is built without migrations, so the
# recorder may have to create its table, which SQLite cannot do inside one.
@pytest.mark.django_db(transaction=True)
def test_djstripe_migrations_count_as_applied_where_djstripe_ran_its_own() -> None:
    """An existing database recorded dj-stripe's own names only: nothing is left to run."""
    recorder = MigrationRecorder(connection)
    before = set(recorder.applied_migrations())
    recorder.record_unapplied("djstripe", SQUASHED)
    for app, name in shipped_by_djstripe():
        recorder.record_applied(app, name)
    try:
        _assert_nothing_left_to_run()
    finally:  # the recorder's rows are no model's: put them back as they were
        for app, name in shipped_by_djstripe():
            recorder.record_unapplied(app, name)
        if ("djstripe", SQUASHED) in before:
            recorder.record_applied("djstripe", SQUASHED)


def _assert_nothing_left_to_run() -> None:
    loader = MigrationLoader(connection)

    assert [key for key in loader.graph.leaf_nodes() if key[0] == "djstripe"] == [
        ("djstripe", SQUASHED)
    ]
    assert ("djstripe", SQUASHED) in loader.applied_migrations
    plan = MigrationExecutor(connection).migration_plan(loader.graph.leaf_nodes())
    assert [migration for migration, _backwards in plan if migration.app_label == "djstripe"] == []

"""consultation.sqlite3: a connection Django closes is kept for the process's next one, when it
is clean; an in-memory database is never pooled."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections

from consultation.sqlite3.base import POOL_SIZE, DatabaseWrapper

# The wrappers here open files of their own, outside the test database (which may be
# PostgreSQL: the settings are built from scratch, as the embedded mode's).
pytestmark = pytest.mark.django_db


def _settings(name: str) -> dict[str, Any]:
    options = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    database = {"ENGINE": "consultation.sqlite3", "NAME": name, "OPTIONS": options}
    configured: dict[str, Any] = connections.configure_settings({"default": database})["default"]
    return configured


@pytest.fixture
def database(tmp_path: Path) -> Iterator[DatabaseWrapper]:
    name = str(tmp_path / "pool.sqlite3")
    wrapper = DatabaseWrapper(_settings(name), "pooled")
    yield wrapper
    wrapper.close()
    for kept in DatabaseWrapper._pools.pop(f"{os.getpid()}:{name}", []):
        kept.close()


def _raw(database: DatabaseWrapper) -> object:
    database.ensure_connection()
    return database.connection


def test_a_closed_connection_is_the_next_one(database: DatabaseWrapper) -> None:
    first = _raw(database)
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    database.close()
    assert database.connection is None
    assert _raw(database) is first
    # The pragmas of a new connection are still in force.
    with database.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone() == (1,)


def test_a_connection_that_saw_an_error_is_not_kept(database: DatabaseWrapper) -> None:
    first = _raw(database)
    with database.cursor() as cursor, pytest.raises(OperationalError):
        cursor.execute("SELECT * FROM missing")
    assert database.errors_occurred
    database.close()
    assert _raw(database) is not first


def test_a_connection_closed_inside_a_transaction_is_not_kept(database: DatabaseWrapper) -> None:
    first = _raw(database)
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    database.set_autocommit(False)
    with database.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    database.close()
    assert _raw(database) is not first
    with database.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        assert cursor.fetchone() == (0,)  # never committed


def test_the_pool_keeps_a_few_connections_only(database: DatabaseWrapper) -> None:
    name = str(database.settings_dict["NAME"])
    others = [DatabaseWrapper(dict(database.settings_dict), "pooled") for _ in range(POOL_SIZE + 3)]
    for other in others:
        other.ensure_connection()
    for other in others:
        other.close()
    assert len(DatabaseWrapper._pools[f"{os.getpid()}:{name}"]) == POOL_SIZE


def test_an_in_memory_database_is_never_pooled() -> None:
    wrapper = DatabaseWrapper(_settings(":memory:"), "memory")
    wrapper.ensure_connection()
    wrapper._close()  # what close() skips for an in-memory database
    assert DatabaseWrapper._pools.get(f"{os.getpid()}::memory:", []) == []


def test_a_forked_process_never_takes_its_parents_connections(
    database: DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _raw(database)
    database.close()
    parent = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)  # as in a forked child
    assert _raw(database) is not first
    database.close()
    for kept in DatabaseWrapper._pools.pop(f"{parent + 1}:{database.settings_dict['NAME']}"):
        kept.close()

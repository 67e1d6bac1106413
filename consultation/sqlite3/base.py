"""Django's SQLite backend, with closed connections kept for the next request of the process.

Under ASGI every request runs in a thread of its own, so Django's persistent connections
(CONN_MAX_AGE, per thread) are never reused, and each request opened a new connection. A new
SQLite connection is cheap; its first statement is not: SQLite reads the whole schema then,
about 1-2 ms for this project's tables, more than the rest of a cached API request
(docs/PERFORMANCE.md, "API throughput"). So a connection that Django closes goes back to a
small per-process pool instead, and the next connection is taken from it, its schema read,
its pragmas and functions set. Only a clean connection goes back: in autocommit, outside any
transaction, with no error seen. An in-memory database is never pooled (Django never closes
one). Python's sqlite3 connections may move between threads (Django opens them with
check_same_thread off and checks the sharing itself); a pooled one is used by one thread at a
time, and only in the process that opened it.
"""

import os
import sqlite3
import threading
from typing import Any, ClassVar

from django.db.backends.sqlite3 import base

# More than a web process runs requests at once (its thread pool), fewer than would keep many
# idle file handles.
POOL_SIZE = 16


class DatabaseWrapper(base.DatabaseWrapper):
    _pools: ClassVar[dict[str, list[sqlite3.Connection]]] = {}
    _pools_lock: ClassVar[threading.Lock] = threading.Lock()

    def _pool(self) -> list[sqlite3.Connection]:
        # Per process id too: a forked child must never take its parent's connections.
        return self._pools.setdefault(f"{os.getpid()}:{self.settings_dict['NAME']}", [])

    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        if not self.is_in_memory_db():
            with self._pools_lock:
                pool = self._pool()
                if pool:
                    return pool.pop()
        connection: sqlite3.Connection = super().get_new_connection(conn_params)
        return connection

    def _close(self) -> None:
        connection = self.connection
        if (
            connection is not None
            and not self.is_in_memory_db()
            and not self.in_atomic_block
            and not connection.in_transaction
            and not self.errors_occurred
            and self.get_autocommit()
        ):
            with self._pools_lock:
                pool = self._pool()
                if len(pool) < POOL_SIZE:
                    pool.append(connection)
                    return
        super()._close()  # type: ignore[misc]  # (BaseDatabaseWrapper._close, not in the stubs)

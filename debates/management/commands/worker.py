"""The task worker of `make run`: django-tasks-db's db_worker, plus crash recovery.

On start, and then every DEBATE_STALE_SECONDS, debates whose runner stopped beating (its
worker died) are enqueued again, so they resume from their last completed turn. Every
RATINGS_REFIT_SECONDS the same thread enqueues a full refit of the model ratings, and every
RETENTION_PURGE_SECONDS the retention purge (the project's only scheduler: each worker
enqueues them, and both are idempotent, so several workers only repeat harmless work).
"""

import threading
import time
from typing import Any

import structlog
from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from debates.services.creation import debate_recover_stale
from debates.tasks import purge_retention
from ratings.tasks import refit_ratings

logger = structlog.get_logger(__name__)

# Each debate already refits the scopes it touches; the hourly refit is a safety net (debates
# made public or private, deleted teams).
RATINGS_REFIT_SECONDS = 3600


def _recover_forever(stop: threading.Event) -> None:
    last_refit = last_purge = time.monotonic()
    while not stop.wait(settings.DEBATE_STALE_SECONDS):
        try:
            debate_recover_stale()
            if time.monotonic() - last_refit >= RATINGS_REFIT_SECONDS:
                last_refit = time.monotonic()
                refit_ratings.enqueue()
            if time.monotonic() - last_purge >= settings.RETENTION_PURGE_SECONDS:
                last_purge = time.monotonic()
                purge_retention.enqueue()
        except Exception:  # recovery must outlive a passing database error
            logger.exception("debate_recovery_failed")
        finally:
            close_old_connections()


class Command(DbWorkerCommand):
    help = "Run background tasks (debates) and resume debates whose worker died."

    def handle(self, *args: Any, **options: Any) -> None:
        recovered = debate_recover_stale()
        if recovered:
            logger.warning("debates_recovered_on_start", count=len(recovered))
        stop = threading.Event()
        threading.Thread(target=_recover_forever, args=(stop,), daemon=True).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()

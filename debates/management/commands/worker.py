"""The task worker: runs background tasks from the configured backend, plus crash recovery.

With the database backend (the embedded default) it is django-tasks-db's db_worker; with the
RQ backend (`REDIS_URL` set) an RQ worker on the same queues, so `manage.py worker` is the one
command to start a worker in either mode (docs/DEPLOY.md, "Processes").

On start, and then every DEBATE_STALE_SECONDS, debates whose runner stopped beating (its
worker died) are enqueued again, so they resume from their last completed turn; with RQ too,
resumption is this loop's job, never an RQ retry (the claim in the pipeline makes a double
pick-up harmless, and a debate is billed once, at finalization). Every RATINGS_REFIT_SECONDS
the same thread enqueues a full refit of the model ratings, and every RETENTION_PURGE_SECONDS
the retention purge (the project's only scheduler: each worker enqueues them, and both are
idempotent, so several workers only repeat harmless work).
"""

import threading
import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

import structlog
from django.conf import settings
from django.db import close_old_connections
from django.tasks import task_backends
from django.tasks.exceptions import InvalidTaskBackend
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from debates.services.creation import debate_recover_stale
from debates.tasks import purge_retention
from ratings.tasks import refit_ratings

logger = structlog.get_logger(__name__)

# Each debate already refits the scopes it touches; the hourly refit is a safety net (debates
# made public or private, deleted teams).
RATINGS_REFIT_SECONDS = 3600

RQ_BACKEND = "django_tasks_rq.RQBackend"
# The job class django-tasks-rq needs (it runs a django.tasks Task). SimpleWorker runs each job
# in the worker process itself: a forked work horse would inherit the psycopg pool's threads
# (which do not survive a fork) and outlive a killed worker, running a debate nobody watches.
RQ_JOB_CLASS = "django_tasks_rq.Job"
RQ_WORKER_CLASS = "rq.worker.SimpleWorker"


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


def uses_rq(backend_alias: str = "default") -> bool:
    return str(settings.TASKS[backend_alias]["BACKEND"]) == RQ_BACKEND


def _backend_alias(value: str) -> str:
    """A configured task backend: the database one or the RQ one (db_worker takes only the
    first)."""
    try:
        task_backends[value]
    except InvalidTaskBackend as error:
        raise ArgumentTypeError(error.args[0]) from error
    return value


class Command(DbWorkerCommand):
    help = (
        "Run background tasks (debates) from the database queue, or from Redis with RQ when "
        "REDIS_URL is set, and resume debates whose worker died."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        for action in parser._actions:
            if action.dest == "backend_name":
                action.type = _backend_alias

    def handle(self, *args: Any, **options: Any) -> None:
        recovered = debate_recover_stale()
        if recovered:
            logger.warning("debates_recovered_on_start", count=len(recovered))
        stop = threading.Event()
        threading.Thread(target=_recover_forever, args=(stop,), daemon=True).start()
        try:
            if uses_rq(options["backend_name"]):
                self._run_rq(options)
            else:
                super().handle(*args, **options)
        finally:
            stop.set()

    def _run_rq(self, options: dict[str, Any]) -> None:
        """An RQ worker on the backend's queues. RQ blocks on Redis for the next job, so
        --interval and --startup-delay have nothing to do; --batch and --max-tasks keep their
        meaning (RQ's burst mode and max jobs)."""
        # Imported here: django_rq is an installed app only in services mode.
        from django_rq.workers import get_worker
        from rq.logutils import setup_loghandlers

        level = {0: "WARNING", 1: "INFO"}.get(int(options["verbosity"]), "DEBUG")
        setup_loghandlers(level)
        backend = settings.TASKS[options["backend_name"]]
        queue_name = str(options["queue_name"])
        queues = list(backend["QUEUES"]) if queue_name == "*" else queue_name.split(",")
        worker = get_worker(
            *queues,
            job_class=RQ_JOB_CLASS,
            worker_class=RQ_WORKER_CLASS,
            name=options["worker_id"] or None,
        )
        # Connections opened so far (recovery on start) belong to no job: give them back.
        close_old_connections()
        logger.info("rq_worker_starting", queues=queues, worker=worker.name)
        worker.work(
            burst=bool(options["batch"]),
            logging_level=level,
            max_jobs=int(options["max_tasks"]) if options["max_tasks"] else None,
        )

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

import os
import signal
import threading
import time
from argparse import ArgumentParser, ArgumentTypeError
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

import structlog
from django.conf import settings
from django.core.management.base import CommandError
from django.db import OperationalError, close_old_connections, connections
from django.tasks import task_backends
from django.tasks.exceptions import InvalidTaskBackend
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from debates.orchestration.loop import debate_loop_install, debate_loop_uninstall
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


class ConcurrentDbWorker(DbWorker):
    """db_worker's worker, running up to `concurrency` tasks at once: one thread claims them
    (as db_worker does), each runs in a thread of its own, and a debate's thread waits on the
    process's shared debate loop, beside the others."""

    def __init__(self, *, concurrency: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)
        self._active = 0
        self._active_lock = threading.Lock()

    def _claim(self, limit: int) -> tuple[bool, list[DBTaskResult[Any, Any]]]:
        """(whether the queue could be read, up to `limit` tasks claimed in one transaction:
        a burst of debates is taken in one go, not one poll each)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                claimed = list(tasks.select_for_update(skip_locked=True)[:limit])
                for task_result in claimed:
                    task_result.claim(self.worker_id)
        except OperationalError as error:
            if is_locked_database_exception(error):
                return False, []  # locked by another worker: try again
            raise
        return True, claimed

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        """The first signal stops claiming and lets the debates in flight finish; a second
        one ends the process at once (its debates resume in another worker once their
        heartbeat is stale): the task threads, joined at exit, would otherwise hold it."""
        if not self.running:
            logger.warning("worker_forced_exit", signal=signal.strsignal(signum))
            os._exit(1)
        super().shutdown(signum, frame)

    def _free_slots(self) -> int:
        """Wait (up to the interval) for a free slot, then take every other free one."""
        if not self._slots.acquire(timeout=self.interval or 0.1):
            return 0
        taken = 1
        while taken < self.concurrency and self._slots.acquire(blocking=False):
            taken += 1
        return taken

    def run(self) -> None:
        logger.info(
            "db_worker_starting",
            worker_id=self.worker_id,
            queues=self.queue_names,
            concurrency=self.concurrency,
        )
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="task") as pool:
            while self.running:
                free = self._free_slots()
                if not free:
                    continue  # every slot busy
                wanted = free
                if self.max_tasks is not None:
                    wanted = min(free, max(self.max_tasks - self._run_tasks - self._active, 0))
                close_old_connections()
                read, claimed = self._claim(wanted) if wanted else (True, [])
                close_old_connections()
                for _unused in range(free - len(claimed)):
                    self._slots.release()
                for task_result in claimed:
                    with self._active_lock:
                        self._active += 1
                        self.running_task = True
                    pool.submit(self._run_one, task_result)
                if self.max_tasks is not None and self._run_tasks + self._active >= self.max_tasks:
                    return
                if not claimed:
                    if self.batch and read and not self._active:
                        return
                    if self.running:
                        time.sleep(self.interval)

    def _run_one(self, task_result: DBTaskResult[Any, Any]) -> None:
        try:
            self.run_task(task_result)
        finally:
            # This thread's connection goes back (to the pool, with PostgreSQL).
            connections.close_all()
            with self._active_lock:
                self._active -= 1
                self.running_task = self._active > 0
            self._slots.release()


def _rq_thread_worker_class() -> type:
    """An RQ SimpleWorker that can run in a thread beside others (`--concurrency`): signals
    stay with the main thread, and a job's time limit is a timer (RQ's default uses SIGALRM,
    which only the main thread receives)."""
    from rq.timeouts import TimerDeathPenalty
    from rq.worker import SimpleWorker

    class ThreadWorker(SimpleWorker):
        death_penalty_class = TimerDeathPenalty

        def _install_signal_handlers(self) -> None:
            return None

    return ThreadWorker


def uses_rq(backend_alias: str = "default") -> bool:
    return str(settings.TASKS[backend_alias]["BACKEND"]) == RQ_BACKEND


def _concurrency(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 1000:
        raise ArgumentTypeError("must be between 1 and 1000")
    return number


def _check_pool(concurrency: int) -> None:
    """With a PostgreSQL pool, a debate borrows a connection for each burst of writes (and
    gives it back), the claim and the recovery threads one each: three is the least a worker
    can run on; below `concurrency + 2` debates writing at the same moment take turns."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if not isinstance(pool, dict):
        return
    size = int(pool.get("max_size", 0))
    if size < 3:
        raise CommandError(
            f"DATABASE_POOL_MAX_SIZE is {size}: a worker needs at least 3 (docs/DEPLOY.md)."
        )
    if size < concurrency + 2:
        logger.info("worker_pool_smaller_than_concurrency", pool=size, concurrency=concurrency)


def _warm_up() -> None:
    """Import the enabled providers' SDKs now, not in the first debate (seconds, on a cold
    disk): a worker's first debate runs as fast as its others."""
    import importlib

    modules = {
        "openai": "debates.providers.openai_compat",
        "openrouter": "debates.providers.openai_compat",
        "openai_compat": "debates.providers.openai_compat",
        "anthropic": "debates.providers.anthropic",
        "gemini": "debates.providers.gemini",
    }
    for name in sorted({modules[p] for p in settings.LLM_PROVIDERS if p in modules}):
        importlib.import_module(name)


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
        parser.add_argument(
            "--concurrency",
            type=_concurrency,
            default=settings.WORKER_CONCURRENCY,
            help="How many tasks (debates) this process runs at once, on one event loop "
            "(default: WORKER_CONCURRENCY, %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        concurrency = int(options.pop("concurrency"))
        _check_pool(concurrency)
        _warm_up()
        recovered = debate_recover_stale()
        if recovered:
            logger.warning("debates_recovered_on_start", count=len(recovered))
        stop = threading.Event()
        threading.Thread(target=_recover_forever, args=(stop,), daemon=True).start()
        if concurrency > 1:
            debate_loop_install()
        try:
            if uses_rq(options["backend_name"]):
                self._run_rq(options, concurrency)
            elif concurrency > 1:
                self._run_db(options, concurrency)
            else:
                super().handle(*args, **options)
        finally:
            stop.set()
            debate_loop_uninstall()

    def _run_db(self, options: dict[str, Any], concurrency: int) -> None:
        """db_worker's loop, claiming up to `concurrency` tasks at once."""
        self.configure_logging(int(options["verbosity"]))
        queue_names = str(options["queue_name"]).split(",")
        excluded = str(options["exclude_queues"]).split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ConcurrentDbWorker(
            concurrency=concurrency,
            queue_names=queue_names,
            interval=float(options["interval"]),
            batch=bool(options["batch"]),
            backend_name=str(options["backend_name"]),
            startup_delay=bool(options["startup_delay"]),
            max_tasks=options["max_tasks"],
            worker_id=str(options["worker_id"]),
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()

    def _run_rq(self, options: dict[str, Any], concurrency: int = 1) -> None:
        """An RQ worker on the backend's queues (with --concurrency N, N of them in threads
        of this process). RQ blocks on Redis for the next job, so --interval and
        --startup-delay have nothing to do; --batch and --max-tasks keep their meaning (RQ's
        burst mode and max jobs, per thread)."""
        # Imported here: django_rq is an installed app only in services mode.
        from django_rq.workers import get_worker
        from rq.logutils import setup_loghandlers

        level = {0: "WARNING", 1: "INFO"}.get(int(options["verbosity"]), "DEBUG")
        setup_loghandlers(level)
        backend = settings.TASKS[options["backend_name"]]
        queue_name = str(options["queue_name"])
        queues = list(backend["QUEUES"]) if queue_name == "*" else queue_name.split(",")
        work: dict[str, Any] = {
            "burst": bool(options["batch"]),
            "logging_level": level,
            "max_jobs": int(options["max_tasks"]) if options["max_tasks"] else None,
        }
        # Connections opened so far (recovery on start) belong to no job: give them back.
        close_old_connections()
        if concurrency == 1:
            worker = get_worker(
                *queues,
                job_class=RQ_JOB_CLASS,
                worker_class=RQ_WORKER_CLASS,
                name=options["worker_id"] or None,
            )
            logger.info("rq_worker_starting", queues=queues, worker=worker.name)
            worker.work(**work)
            return
        self._run_rq_threads(queues, str(options["worker_id"]), concurrency, work)

    def _run_rq_threads(
        self, queues: list[str], name: str, concurrency: int, work: dict[str, Any]
    ) -> None:
        """`concurrency` RQ workers in threads, named `<worker id>.<n>`; the main thread keeps
        the signals and asks each to stop (after its job) on SIGINT or SIGTERM, then waits
        for them."""
        from django_rq.workers import get_worker

        workers = [
            get_worker(
                *queues,
                job_class=RQ_JOB_CLASS,
                worker_class=_rq_thread_worker_class(),
                name=f"{name}.{number}",
            )
            for number in range(1, concurrency + 1)
        ]

        def run(worker: Any) -> None:
            try:
                worker.work(**work)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=run, args=(worker,), name=worker.name, daemon=True)
            for worker in workers
        ]
        stopping = threading.Event()

        def stop(signum: int, _frame: object) -> None:
            if stopping.is_set():
                # A second signal: go now (the debates resume elsewhere); threads joined at
                # exit would otherwise hold the process until their debates end.
                logger.warning("worker_forced_exit", signal=signal.strsignal(signum))
                os._exit(1)
            stopping.set()
            for worker in workers:
                worker.request_stop(signum, None)  # type: ignore[no-untyped-call]

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        logger.info("rq_worker_starting", queues=queues, worker=name, concurrency=concurrency)
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)

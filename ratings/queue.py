"""The one way the ratings app asks for background work (see debates.queue for why tasks are
named by dotted path): refits run in a worker once the current transaction commits."""

from uuid import UUID

from django.db import transaction
from django.tasks import Task
from django.utils.module_loading import import_string

UPDATE_RATINGS = "ratings.tasks.update_ratings"
REFIT_RATINGS = "ratings.tasks.refit_ratings"


def _enqueue(task_path: str, *args: str) -> None:
    task: Task[..., object] = import_string(task_path)
    task.enqueue(*args)


def ratings_update_later(*, debate_id: UUID | str, source: str = "judges") -> None:
    """Refit the scopes one debate touches (of the judges' boards, or the readers'), once the
    current transaction (which changed its outcomes) commits."""
    value = str(debate_id)
    if source == "judges":
        transaction.on_commit(lambda: _enqueue(UPDATE_RATINGS, value))
    else:
        transaction.on_commit(lambda: _enqueue(UPDATE_RATINGS, value, source))


def ratings_refit_later() -> None:
    """Recompute every scope of every board (now: it depends on no pending write)."""
    _enqueue(REFIT_RATINGS)

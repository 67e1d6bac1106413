"""The one way the evals app asks for background work (like debates.queue): tasks sit on
top and call the services; the services enqueue through here, by dotted path, on commit."""

from uuid import UUID

from django.db import transaction
from django.tasks import Task
from django.utils.module_loading import import_string

RUN_EVALUATION = "evals.tasks.run_evaluation"


def evaluation_run_later(*, evaluation_id: UUID | str) -> None:
    """Have a worker run the evaluation once the current transaction commits."""
    value = str(evaluation_id)

    def enqueue() -> None:
        task: Task[..., object] = import_string(RUN_EVALUATION)
        task.enqueue(value)

    transaction.on_commit(enqueue)

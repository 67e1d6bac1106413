"""Background work of the evals app, on the same workers as debates. Tasks take ids."""

from uuid import UUID

from django.tasks import task

from evals.runner import evaluation_run


@task()
def run_evaluation(evaluation_id: str) -> str:
    """Run one evaluation to its end (a no-op if it was claimed already)."""
    return evaluation_run(evaluation_id=UUID(evaluation_id))

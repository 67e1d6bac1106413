"""The one way the debates app asks for background work.

Tasks (`debates.tasks`) sit on top, like views: they call the services. So the services
cannot import them back without a circle; they enqueue through this module, which names each
task by its dotted path and resolves it only when the work is enqueued. Nothing below the
services (orchestration, prompts, providers) imports this module. Work is enqueued once the
current transaction commits, and tasks take ids, never model instances.
"""

from uuid import UUID

import structlog
from django.db import transaction
from django.tasks import Task
from django.utils.module_loading import import_string

RUN_DEBATE = "debates.tasks.run_debate"


def enqueue(task_path: str, *args: str) -> None:
    """Enqueue the task at `task_path` with `args` now."""
    task: Task[..., object] = import_string(task_path)
    task.enqueue(*args)


def debate_run_later(*, debate_id: UUID | str, on_commit: bool = True) -> None:
    """Have a worker run (or resume) the debate: once the current transaction commits (the
    debate it creates must be visible to the worker), or now."""
    # The request that asked for the run (if any) travels with it: the worker's lines carry
    # the same request_id as the request's.
    request_id = str(structlog.contextvars.get_contextvars().get("request_id") or "")
    value = str(debate_id)
    if on_commit:
        transaction.on_commit(lambda: enqueue(RUN_DEBATE, value, request_id))
    else:
        enqueue(RUN_DEBATE, value, request_id)

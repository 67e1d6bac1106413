"""Background work of the debates app. Tasks take ids, never model instances.

This module sits on top, beside the views: it calls the services, and they enqueue its tasks
through `debates.queue`, never by importing it.
"""

from uuid import UUID

import structlog
from asgiref.sync import async_to_sync
from django.db import close_old_connections
from django.tasks import task

from debates.models import Debate
from debates.orchestration.loop import debate_loop
from debates.services.creation import debate_recover_stale
from debates.services.retention import retention_purge
from debates.services.running import debate_run


@task()
def run_debate(debate_id: str, request_id: str = "") -> str | None:
    """Run or resume one debate to its end; a no-op if another runner holds it. `request_id`
    is the id of the request that created (or resumed) it, for the worker's log lines."""
    context = {"debate_id": debate_id, **({"request_id": request_id} if request_id else {})}
    team_id = Debate.objects.filter(pk=debate_id).values_list("team_id", flat=True).first()
    if team_id is not None:
        context["team_id"] = str(team_id)
    with structlog.contextvars.bound_contextvars(**context):
        loop = debate_loop()
        if loop is not None:
            # The worker's shared loop, beside the other debates it runs (`--concurrency`).
            # This thread only waits now: its connection goes back (to the pool) meanwhile.
            close_old_connections()
            return loop.run(debate_run, UUID(debate_id))
        # A loop of its own; async_to_sync keeps the pipeline's database work on this
        # thread and its connection.
        return async_to_sync(debate_run)(UUID(debate_id))


@task()
def recover_stale_debates() -> list[str]:
    return [str(debate_id) for debate_id in debate_recover_stale()]


@task()
def purge_retention() -> dict[str, object]:
    """Apply the retention periods (enqueued by `manage.py worker` every
    RETENTION_PURGE_SECONDS)."""
    return retention_purge().as_dict()

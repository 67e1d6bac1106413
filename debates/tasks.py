"""Background work of the debates app. Tasks take ids, never model instances.

This module sits on top, beside the views: it calls the services, and they enqueue its tasks
through `debates.queue`, never by importing it.
"""

from uuid import UUID

from asgiref.sync import async_to_sync
from django.tasks import task

from debates.services.creation import debate_recover_stale
from debates.services.running import debate_run


@task()
def run_debate(debate_id: str) -> str | None:
    """Run or resume one debate to its end; a no-op if another runner holds it."""
    # async_to_sync keeps the pipeline's database work on this thread and its connection.
    return async_to_sync(debate_run)(UUID(debate_id))


@task()
def recover_stale_debates() -> list[str]:
    return [str(debate_id) for debate_id in debate_recover_stale()]

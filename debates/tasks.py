"""Background work of the debates app. Tasks take ids, never model instances."""

from uuid import UUID

from asgiref.sync import async_to_sync
from django.tasks import task

from debates.orchestration.engine import DebatePipeline
from debates.services.creation import debate_recover_stale
from debates.services.ratings import ratings_refit_all, ratings_update_for_debate


@task()
def run_debate(debate_id: str) -> str | None:
    """Run or resume one debate to its end; a no-op if another runner holds it."""
    # async_to_sync keeps the pipeline's database work on this thread and its connection.
    return async_to_sync(DebatePipeline().run)(UUID(debate_id))


@task()
def recover_stale_debates() -> list[str]:
    return [str(debate_id) for debate_id in debate_recover_stale()]


@task()
def update_ratings(debate_id: str) -> int:
    """Refit the rating scopes a finished debate touches (enqueued by finalization)."""
    return ratings_update_for_debate(debate_id=UUID(debate_id))


@task()
def refit_ratings() -> int:
    """Recompute every rating scope of every board (hourly, by the worker; admin action)."""
    return ratings_refit_all()

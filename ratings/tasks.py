"""Background work of the ratings app. Tasks take ids, never model instances."""

from uuid import UUID

from django.tasks import task

from ratings.services import ratings_refit_all, ratings_update_for_debate


@task()
def update_ratings(debate_id: str) -> int:
    """Refit the rating scopes a finished debate touches (enqueued by finalization)."""
    return ratings_update_for_debate(debate_id=UUID(debate_id))


@task()
def refit_ratings() -> int:
    """Recompute every scope of every board (hourly, by the worker; admin action)."""
    return ratings_refit_all()

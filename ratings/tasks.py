"""Background work of the ratings app. Tasks take ids, never model instances."""

from uuid import UUID

from django.tasks import task

from ratings.services import ratings_refit_all, ratings_update_for_debate


@task()
def update_ratings(debate_id: str, source: str = "judges") -> int:
    """Refit the rating scopes a finished debate touches (enqueued by finalization), or the
    readers' scopes after a vote (source "humans")."""
    return ratings_update_for_debate(debate_id=UUID(debate_id), source=source)


@task()
def refit_ratings() -> int:
    """Recompute every scope of every board (hourly, by the worker; admin action)."""
    return ratings_refit_all()

"""Running a debate: the pipeline does the work, finalization closes it, exactly once."""

from uuid import UUID

from asgiref.sync import sync_to_async

from debates.orchestration.engine import DebatePipeline
from debates.services.finalization import debate_finalize


async def debate_run(debate_id: UUID, *, pipeline: DebatePipeline | None = None) -> str | None:
    """Run (or resume) a debate and finalize it. Returns the final status, or None when the
    debate was not this runner's (finished already, or alive in another runner)."""
    pipeline = pipeline or DebatePipeline()
    try:
        outcome = await pipeline.run(debate_id)
        if outcome is None:
            return None
        await sync_to_async(debate_finalize, thread_sensitive=True)(
            debate_id=debate_id,
            status=outcome.status,
            reason=outcome.reason,
            detail=outcome.detail,
            budget_reason=outcome.budget_reason,
            where=outcome.where,
        )
        return outcome.status
    finally:
        # The breakers' bookkeeping comes after the end its watchers see.
        await pipeline.close()

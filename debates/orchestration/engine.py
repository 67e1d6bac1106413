"""DebatePipeline: claims a debate, runs its stages in order, keeps a heartbeat, and says how
it ended (`RunOutcome`); `debates.services.running.debate_run` finalizes it.

Every completed turn, judgment and the synthesis is stored as it happens, in order, off the
critical path (`writes.Writes`): a run that dies loses at most the writes of its last moments,
and the next run (after the heartbeat goes stale) resumes from what was stored. Only the
runner holding the claim writes; finalization (a service) happens exactly once, after the run
drained its writes.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import structlog
from django.conf import settings

from debates.models import DebateStatus, FailureReason, Stage
from debates.orchestration import progress
from debates.orchestration.gateway import Gateway, ProviderFactory, RetryPolicy, Sleep
from debates.orchestration.stages import (
    DebateStage,
    JudgingStage,
    Next,
    RunContext,
    StageResult,
    StopPoint,
    SynthesisStage,
    TurnStage,
    db,
)
from debates.orchestration.state import DebateState, debate_load_state
from debates.orchestration.writes import Writes
from debates.providers.base import Provider
from debates.providers.registry import build_provider
from debates.providers.streaming import StreamTimeouts

logger = structlog.get_logger(__name__)


def provider_for_settings(name: str) -> Provider:
    """The configured provider of this name; the catalog never reaches an unconfigured one."""
    return build_provider(
        name,
        settings.PROVIDER_CREDENTIALS,
        enabled=settings.LLM_PROVIDERS,
        compat_base_url=settings.OPENAI_COMPAT_BASE_URL,
        compat_api_key=settings.OPENAI_COMPAT_API_KEY,
        demo_tokens_per_second=settings.DEMO_TOKENS_PER_SECOND,
    )


def default_stages(state: DebateState) -> list[DebateStage]:
    """opening -> rebuttal x rounds -> judging -> synthesis (finalization closes every run).
    A fork starts at its first round of its own: the rounds before it were copied."""
    rounds = range(state.first_round, state.rounds + 1)
    stages: list[DebateStage] = [TurnStage(number) for number in rounds]
    stages += [JudgingStage(), SynthesisStage()]
    return stages


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: what finalization records."""

    status: str
    reason: str = ""
    detail: str = ""
    budget_reason: str = ""
    where: StopPoint | None = None


class LostClaim(Exception):
    """Another runner took the debate over (this one was presumed dead)."""


class DebatePipeline:
    def __init__(
        self,
        *,
        providers: ProviderFactory | None = None,
        stages: Callable[[DebateState], list[DebateStage]] = default_stages,
        sleep: Sleep = asyncio.sleep,
        heartbeat_s: float | None = None,
    ) -> None:
        self.gateway = Gateway(
            providers=providers or provider_for_settings,
            retry=RetryPolicy(
                attempts=settings.LLM_RETRY_ATTEMPTS,
                base_delay_s=settings.LLM_RETRY_BASE_DELAY_SECONDS,
                max_delay_s=settings.LLM_RETRY_MAX_DELAY_SECONDS,
            ),
            sleep=sleep,
            stream_timeouts=StreamTimeouts(
                first_event_s=settings.LLM_FIRST_TOKEN_TIMEOUT_SECONDS,
                idle_s=settings.LLM_STREAM_IDLE_TIMEOUT_SECONDS,
            ),
        )
        self.stages = stages
        self.heartbeat_s = heartbeat_s or settings.DEBATE_HEARTBEAT_SECONDS

    async def run(self, debate_id: UUID) -> RunOutcome | None:
        """Run (or resume) a debate to its end. Returns how it ended, or None when the
        debate was not ours to run (finished, or alive in another runner). `close()` follows,
        once the debate is finalized."""
        token = uuid.uuid4().hex
        # Every line of the run, the gateway's and the breaker's included, names the debate.
        with structlog.contextvars.bound_contextvars(debate_id=str(debate_id)):
            attempt = await db(progress.debate_claim)(debate_id=debate_id, token=token)
            if attempt is None:
                return None
            log = logger.bind(attempt=attempt)
            log.log(
                logging.INFO if attempt == 1 else logging.WARNING,
                "debate.started" if attempt == 1 else "debate.resumed",
            )
            writes = Writes()
            work = asyncio.create_task(self._run_stages(debate_id, writes))
            beat = asyncio.create_task(self._heartbeat(debate_id, token, work))
            lost = False
            try:
                result = await work
                await writes.drain()
            except asyncio.CancelledError:
                log.warning("debate_run_lost_claim")
                lost = True
                writes.cancel()
                return None
            except Exception as exc:
                log.exception("debate_run_crashed")
                result = StageResult(
                    Next.FAIL, FailureReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"
                )
            finally:
                beat.cancel()
                if not lost:
                    # What was stored stays stored, even when the run stops on an error.
                    with contextlib.suppress(Exception):
                        await writes.drain()
        status, reason = _status_for(result)
        return RunOutcome(
            status=status,
            reason=reason,
            detail=result.detail,
            budget_reason=result.budget_reason,
            where=result.where,
        )

    async def close(self) -> None:
        """After a run, and after its finalization: the successful calls not yet recorded for
        the breakers (a success never changes one, so the debate's end never waits for them),
        then this run's provider connections."""
        try:
            await self.gateway.record_successes()
        finally:
            await self.gateway.aclose()

    async def _run_stages(self, debate_id: UUID, writes: Writes) -> StageResult:
        state = await db(debate_load_state)(debate_id=debate_id)
        own = {
            ref.id
            for ref in [*(seat.model for seat in state.seats), *state.judges, state.chair]
            if ref.credential is not None
        }
        writes.submit(progress.usage_mark_own_keys, debate_id=debate_id, own=own)
        ctx = RunContext(
            state=state,
            gateway=self.gateway,
            writes=writes,
            delta_interval_s=settings.DEBATE_DELTA_INTERVAL_SECONDS,
            timeout_s=settings.LLM_TIMEOUT_SECONDS,
        )
        to_synthesis = False
        for stage in self.stages(state):
            if to_synthesis and stage.name != Stage.SYNTHESIS:
                continue
            if writes.closed:  # a stage's opening said the debate was cancelled
                return StageResult(Next.CANCEL)
            if writes.error is not None:
                await writes.drain()  # raises: the run stops on a failed write
            result = await stage.run(ctx)
            self.gateway.record_successes_later(writes)
            if result.next in (Next.FAIL, Next.CANCEL):
                return result
            to_synthesis = to_synthesis or result.next is Next.TO_SYNTHESIS
        return StageResult(budget_reason=state.budget_reason)

    async def _heartbeat(
        self, debate_id: UUID, token: str, work: asyncio.Task[StageResult]
    ) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if not await db(progress.debate_heartbeat)(debate_id=debate_id, token=token):
                work.cancel()
                return


def _status_for(result: StageResult) -> tuple[str, str]:
    if result.next is Next.CANCEL:
        return DebateStatus.CANCELLED, FailureReason.CANCELLED
    if result.next is Next.FAIL:
        return DebateStatus.FAILED, result.reason
    if result.budget_reason:
        return DebateStatus.COMPLETED_BUDGET, FailureReason.BUDGET
    return DebateStatus.COMPLETED, ""

"""The staff's Ops page, `/admin/ops/`: provider health, breakers, refusals, the queue, running
and failed debates, webhook failures, on one page.

It reads every app (ops' figures, the debates, the task queue), so it sits here, in the layer
that wires the apps together, rather than in `ops`, which knows no domain app. The actions it
offers are the audited services of `consultation.ops_services`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.middleware import request_user
from consultation.ops_services import CIRCUIT_ACTIONS, circuit_force_open, circuit_reset
from debates.models import Debate, DebateStatus
from ops.health import HEALTH_WINDOWS, day_of_rows, provider_health, provider_trend
from ops.metrics import WINDOWS, metric_totals, metric_windows

# Counters other apps record with ops.metrics.metric_increment, by these names (ops/events.py
# has the log events of the same names).
PII_METRIC = "safety.pii_redacted"
INJECTION_METRIC = "safety.injection_suspected"
RATELIMIT_METRIC = "ratelimit.hit"  # label: plan slug
QUOTA_METRIC = "quota.exceeded"  # label: plan slug
WEBHOOK_FAILED_METRIC = "billing.webhook_failed"  # label: Stripe event type
RECENT_FAILURES = 20
QUEUE_BACKEND = "django_tasks_db.DatabaseBackend"
RQ_BACKEND = "django_tasks_rq.RQBackend"


@dataclass(frozen=True)
class QueueState:
    backend: str
    measured: bool
    waiting: int = 0
    running: int = 0
    oldest_waiting_at: datetime | None = None
    unreachable: bool = False  # the backend's store (Redis) did not answer

    @property
    def oldest_age_s(self) -> int | None:
        if self.oldest_waiting_at is None:
            return None
        return int((timezone.now() - self.oldest_waiting_at).total_seconds())


def queue_state() -> QueueState:
    """Tasks waiting and running, and the oldest waiting one: from the database backend's
    table, or from the RQ backend's queues in Redis."""
    backend = str(settings.TASKS["default"]["BACKEND"])
    if backend == RQ_BACKEND:
        return _rq_queue_state(backend)
    if backend != QUEUE_BACKEND:
        return QueueState(backend=backend, measured=False)
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready()
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return QueueState(
        backend=backend,
        measured=True,
        waiting=waiting.count(),
        running=DBTaskResult.objects.running().count(),
        oldest_waiting_at=oldest,
    )


def _rq_queue_state(backend: str) -> QueueState:
    """The RQ queues' figures. The started registries are counted without RQ's cleanup, which
    would fail the jobs of a worker that died (the workers' recovery loop resumes those
    debates: docs/OPS.md); RQ's own fetch of the oldest job still drops its id if the job is
    gone."""
    # Imported here: django_rq is an installed app only with REDIS_URL.
    import django_rq
    from redis.exceptions import RedisError

    waiting = running = 0
    oldest: datetime | None = None
    try:
        for name in settings.TASKS["default"].get("QUEUES", ["default"]):
            queue = django_rq.get_queue(name)
            waiting += queue.count
            running += queue.started_job_registry.get_job_count(cleanup=False)
            first = queue.get_job_ids(0, 1)
            job = queue.fetch_job(first[0]) if first else None
            if job is not None and job.enqueued_at is not None:
                oldest = min(oldest or job.enqueued_at, job.enqueued_at)
    except RedisError:
        return QueueState(backend=backend, measured=False, unreachable=True)
    return QueueState(
        backend=backend,
        measured=True,
        waiting=waiting,
        running=running,
        oldest_waiting_at=oldest,
    )


def running_debates() -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        {
            "debate": debate,
            "heartbeat_age_s": int((now - debate.heartbeat_at).total_seconds())
            if debate.heartbeat_at
            else None,
            "stale": debate.heartbeat_at is None
            or now - debate.heartbeat_at > timedelta(seconds=settings.DEBATE_STALE_SECONDS),
        }
        for debate in Debate.objects.filter(status=DebateStatus.RUNNING)
        .select_related("team")
        .order_by("heartbeat_at")
    ]


def failed_debates() -> list[Debate]:
    return list(
        Debate.objects.filter(status=DebateStatus.FAILED)
        .select_related("team")
        .order_by("-finished_at")[:RECENT_FAILURES]
    )


def _by_label(name: str, since: datetime) -> list[tuple[str, int]]:
    return sorted(metric_totals(name=name, since=since).items(), key=lambda item: -item[1])


def refusals_by_plan(since: datetime) -> list[tuple[str, int, int]]:
    """(plan, rate-limit refusals, quota refusals) since `since`, most refused first."""
    limited = metric_totals(name=RATELIMIT_METRIC, since=since)
    quota = metric_totals(name=QUOTA_METRIC, since=since)
    rows = [(plan, limited.get(plan, 0), quota.get(plan, 0)) for plan in set(limited) | set(quota)]
    return sorted(rows, key=lambda row: (-(row[1] + row[2]), row[0]))


def ops_context(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    day = now - timedelta(hours=24)
    rows = day_of_rows(now)
    return {
        "health": provider_health(now=now, rows=rows),
        "health_windows": list(HEALTH_WINDOWS),
        "trend": provider_trend(now=now, rows=rows),
        "redactions": metric_windows(name=PII_METRIC, now=now),
        "injections": metric_windows(name=INJECTION_METRIC, now=now),
        "metric_windows": list(WINDOWS),
        "refusals": refusals_by_plan(day),
        "webhook_failures": _by_label(WEBHOOK_FAILED_METRIC, day),
        "queue": queue_state(),
        "running": running_debates(),
        "failed": failed_debates(),
        "stale_after_s": int(settings.DEBATE_STALE_SECONDS),
    }


def staff_only(request: HttpRequest) -> None:
    """Staff see the page; anyone else signed in gets 403 (the admin wrapper sends anonymous
    visitors to its login page first)."""
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied


@require_safe
def ops_page(request: HttpRequest, *, site_context: dict[str, Any]) -> HttpResponse:
    staff_only(request)
    context = {
        **site_context,
        **ops_context(),
        "title": _("Operations"),
        "can_change_circuits": request.user.has_perm("ops.change_circuitbreaker"),
    }
    return render(request, "admin/ops/dashboard.html", context)


@require_POST
def circuit_action(request: HttpRequest) -> HttpResponse:
    """Reset or force open one breaker (POST, CSRF-checked, audited)."""
    staff_only(request)
    if not request.user.has_perm("ops.change_circuitbreaker"):
        raise PermissionDenied
    action = request.POST.get("action", "")
    provider = request.POST.get("provider", "").strip()
    model = request.POST.get("model", "").strip()
    if action not in CIRCUIT_ACTIONS or not provider or not model:
        messages.error(request, _("Choose a breaker and an action."))
        return HttpResponseRedirect(reverse("admin:ops"))
    actor = request_user(request)
    if action == "reset":
        circuit_reset(actor=actor, provider=provider, model=model)
        messages.success(
            request, _("The breaker of %(model)s is closed.") % {"model": f"{provider}:{model}"}
        )
    else:
        circuit_force_open(actor=actor, provider=provider, model=model)
        messages.warning(
            request, _("The breaker of %(model)s is open.") % {"model": f"{provider}:{model}"}
        )
    return HttpResponseRedirect(reverse("admin:ops"))

"""Project-level pages: landing, health probes, and the error pages (HTML or JSON by path)."""

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.tasks import task_backends
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from consultation.api.errors import json_error_response, request_id_of
from consultation.exceptions import (
    BadRequest,
    InternalError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)

logger = structlog.get_logger(__name__)

# A probe that hangs is worse than one that fails: each async check gives up after this long.
READINESS_TIMEOUT_SECONDS = 2.0


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


_FAVICON = Path(__file__).resolve().parent.parent / "static" / "img" / "favicon.ico"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, where browsers look for it (base.html links it too)."""
    return HttpResponse(_FAVICON.read_bytes(), content_type="image/x-icon")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so it never flaps."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def roundtrip() -> None:
        channel = await layer.new_channel("readyz.")
        await layer.send(channel, {"type": "readyz.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "readyz.ping":
            raise RuntimeError("channel layer returned another message")

    async def bounded() -> None:
        await asyncio.wait_for(roundtrip(), timeout=READINESS_TIMEOUT_SECONDS)

    async_to_sync(bounded)()


def _check_task_backend() -> None:
    """The queue the workers read answers: its table (database backend) or Redis (RQ)."""
    backend = str(settings.TASKS["default"]["BACKEND"])
    if backend == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.only("pk").first()
    elif backend.startswith("django_tasks_rq."):
        import django_rq

        for queue in settings.TASKS["default"].get("QUEUES", ["default"]):
            django_rq.get_connection(queue).ping()
    else:
        task_backends["default"]


def _check_providers() -> None:
    """At least one model provider is enabled, and each enabled one has its credentials."""
    enabled = list(settings.LLM_PROVIDERS)
    if not enabled:
        raise RuntimeError("no model provider is enabled")
    missing = [name for name in enabled if not settings.PROVIDER_CREDENTIALS.get(name)]
    if missing:
        raise RuntimeError(f"providers without credentials: {missing}")


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "channel_layer": _check_channel_layer,
    "task_backend": _check_task_backend,
    "providers": _check_providers,
}


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache, channel layer and task backend each answer and the model
    providers are configured; 503 names what failed."""
    results: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001  (whatever broke, the probe answers 503)
            logger.warning("readiness_check_failed", check=name, error=repr(exc))
            results[name] = "error"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": results,
            # Names only, never credentials: which providers this process may call.
            "providers": sorted(settings.LLM_PROVIDERS),
        },
        status=200 if ready else 503,
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _render_error(request: HttpRequest, status: int, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"errors/{status}.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: what Django itself refuses before any view (a Host not in ALLOWED_HOSTS, a
    broken multipart body, a body over DATA_UPLOAD_MAX_MEMORY_SIZE). The page stands alone:
    the request may be too broken for the base layout (no user, no usable host)."""
    error = PayloadTooLarge() if isinstance(exception, RequestDataTooBig) else BadRequest()
    if _is_api(request):
        return json_error_response(error, request)
    return render(request, "errors/400.html", {"error": error}, status=error.status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(NotFound(), request)
    return _render_error(request, 404, {})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(PermissionDenied(), request)
    return _render_error(request, 403, {})


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return json_error_response(InternalError(request_id=request_id_of(request)), request)
    return _render_error(request, 500, {"request_id": request_id_of(request)})


@csrf_exempt
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any /api/ path no route matched: JSON 404, never the HTML page (nor a CSRF page: the
    view changes nothing, and an API client posting to a wrong URL should learn that)."""
    return json_error_response(NotFound(), request)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape (PROMETHEUS_ENABLED): the default registry, ops' collector included.
    Keep it off the public internet (a firewall or the proxy): it shows provider health."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

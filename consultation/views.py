"""Project-level pages: landing, health probes, and the error pages (HTML or JSON by path)."""

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from consultation.api.errors import json_error_response, request_id_of
from consultation.exceptions import InternalError, NotFound, PermissionDenied

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


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "channel_layer": _check_channel_layer,
}


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache and channel layer each answer; 503 names what failed."""
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
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _render_error(request: HttpRequest, status: int, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"errors/{status}.html", context, status=status)


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

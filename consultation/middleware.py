"""Project middleware.

Request id: accept a sane incoming X-Request-ID or mint one, and echo it on the response.

Sits before django-structlog's RequestMiddleware, which binds the id it finds in the header to
every log line of the request; the same id reaches error bodies through `request.request_id`.
"""

import re
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from consultation.api.errors import json_error_response
from consultation.exceptions import AppError, NotAuthenticated, NotFound, PermissionDenied

REQUEST_ID_HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# An upstream id is trusted only if it cannot smuggle anything into a log line.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def assign_request_id(request: HttpRequest) -> str:
    incoming = request.META.get(_META_KEY, "")
    # fullmatch: `$` in a plain match would let a trailing newline through into log lines.
    request_id = incoming if _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
    request.META[_META_KEY] = request_id
    # `request.headers` is a cached copy of META: drop it so later readers (django-structlog)
    # see the sanitised id, not the one the client sent.
    request.__dict__.pop("headers", None)
    request.request_id = request_id  # type: ignore[attr-defined]
    return request_id


class RequestIdMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        request_id = assign_request_id(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request_id = assign_request_id(request)
        response = self.get_response(request)
        assert not isinstance(response, HttpResponseBase)
        result = await response
        result[REQUEST_ID_HEADER] = request_id
        return result


class PrivateCacheMiddleware:
    """`Cache-Control: private` on every response to a signed-in user (session or, through
    DRF, an API key): a shared cache (a proxy, a CDN) must never keep one person's dashboard,
    debates or API answers for the next visitor. Responses that already say `no-store` or
    `private` keep what they say; anonymous pages stay cacheable as they were."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            current = response.get("Cache-Control", "")
            if "private" not in current and "no-store" not in current:
                patch_cache_control(response, private=True)
        return response


class AppErrorMiddleware:
    """Turn an AppError escaping a view into its page: JSON under /api/, HTML elsewhere.

    An htmx request gets the JSON too (the page shows it as a notice). HTML: NotAuthenticated
    sends the visitor to the login page and back; NotFound and PermissionDenied render the
    404/403 pages; any other error of a form post becomes a message on the page the user came
    from, so nothing is lost silently. A plan limit (an error with an `upgrade_url`) always
    comes with a link to the plans.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if not isinstance(exception, AppError):
            return None
        # htmx asks for a fragment: it gets the error's JSON, which the page shows as a
        # notice (a limit's sentence and its link to the plans: frontend/main.ts).
        if request.path.startswith("/api/") or request.headers.get("HX-Request") == "true":
            return json_error_response(exception, request)
        if isinstance(exception, NotAuthenticated):
            return redirect_to_login(request.get_full_path())
        if isinstance(exception, NotFound | PermissionDenied) or request.method != "POST":
            plain_page = exception.status in (403, 404) and "upgrade_url" not in exception.extra
            return render(
                request,
                f"errors/{exception.status}.html" if plain_page else "errors/error.html",
                {"error": exception},
                status=exception.status,
            )
        # A plan limit's message carries the "limit" tag: base.html adds the link to the plans.
        limit = "upgrade_url" in exception.extra
        messages.error(request, _error_message(exception), extra_tags="limit" if limit else "")
        target = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "/"
        return HttpResponseRedirect(target)


def _error_message(exception: AppError) -> str:
    fields = exception.extra.get("fields") or {}
    details = [message for messages_ in fields.values() for message in messages_]
    return " ".join([str(exception.detail), *details])

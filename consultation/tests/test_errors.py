"""The error contract: every failure, DRF's or ours, API or HTML, has one documented shape.

The throwaway views below raise on purpose; `consultation.tests.urls_for_errors` routes them
for these tests only.
"""

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client
from rest_framework import exceptions as drf
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consultation import exceptions
from consultation.exceptions import (
    AppError,
    BadRequest,
    Conflict,
    InjectionSuspected,
    InternalError,
    InvalidAPIKey,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PlanRestriction,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    ValidationFailed,
)
from ops.logging import build_logging_config

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = [pytest.mark.urls("consultation.tests.urls_for_errors"), pytest.mark.django_db]

RESET_AT = datetime(2030, 1, 1, tzinfo=UTC)

# --- Throwaway views ------------------------------------------------------------------------


class BearerChallenge(BaseAuthentication):
    """Authenticates nobody but names its scheme, so DRF answers 401 rather than 403."""

    def authenticate(self, request: Request) -> None:
        return None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class OpenApi(APIView):
    authentication_classes = [BearerChallenge]
    permission_classes: list[type[BasePermission]] = [AllowAny]


DRF_ERRORS: dict[str, Callable[[], Exception]] = {
    "validation-list": lambda: drf.ValidationError(["First problem.", "Second problem."]),
    "validation-nested": lambda: drf.ValidationError({"seats": [{}, {"model": ["Unknown."]}]}),
    "django-validation": lambda: DjangoValidationError({"title": ["Too long."]}),
    "not-authenticated": drf.NotAuthenticated,
    "authentication-failed": drf.AuthenticationFailed,
    "permission-denied": drf.PermissionDenied,
    "django-permission-denied": DjangoPermissionDenied,
    "not-found": drf.NotFound,
    "http404": Http404,
    "not-acceptable": drf.NotAcceptable,
    "throttled": lambda: drf.Throttled(wait=30),
    "throttled-fraction": lambda: drf.Throttled(wait=2.2),
    "throttled-no-wait": drf.Throttled,
    "unknown": lambda: RuntimeError("boom"),
}


class RaiseApi(OpenApi):
    def get(self, request: Request, name: str) -> Response:
        raise DRF_ERRORS[name]()


APP_ERRORS: dict[str, Callable[[], AppError]] = {
    "error": AppError,
    "validation_failed": lambda: ValidationFailed(fields={"question": ["Too short."]}),
    "not_authenticated": NotAuthenticated,
    "invalid_api_key": InvalidAPIKey,
    "scope_missing": lambda: ScopeMissing(required_scope="debates:write"),
    "permission_denied": PermissionDenied,
    "not_found": NotFound,
    "conflict": Conflict,
    "quota_exceeded": lambda: QuotaExceeded(
        limit=20, used=20, reset_at=RESET_AT, upgrade_url="/pricing/"
    ),
    "plan_restriction": lambda: PlanRestriction(
        plan="free", required_plan="pro", upgrade_url="/pricing/"
    ),
    "rate_limited": lambda: RateLimited(limit=60, reset_at=RESET_AT, retry_after=12),
    "provider_unavailable": lambda: ProviderUnavailable(provider="openai"),
    "injection_suspected": InjectionSuspected,
    "internal_error": InternalError,
    "bad_request": BadRequest,
    "payload_too_large": PayloadTooLarge,
}


class AppErrorApi(OpenApi):
    def get(self, request: Request, name: str) -> Response:
        raise APP_ERRORS[name]()


class DebateInput(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(max_length=10)
    rounds = serializers.IntegerField(min_value=1)


class ValidateApi(OpenApi):
    def post(self, request: Request) -> Response:
        serializer = DebateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class ProtectedApi(OpenApi):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({})


PLAIN_ERRORS: dict[str, Callable[[], Exception]] = {
    "conflict": lambda: Conflict("Someone else changed this debate."),
    "validation": lambda: ValidationFailed(fields={"question": ["Ask at least ten characters."]}),
    "not-found": lambda: NotFound("That debate is gone."),
    "forbidden": lambda: PermissionDenied("Only the team owner can do this."),
    "django-forbidden": DjangoPermissionDenied,
    "not-authenticated": NotAuthenticated,
    "boom": lambda: RuntimeError("boom"),
    "quota": lambda: QuotaExceeded(
        "You reached 20 of 20 debates this month on the Free plan.",
        limit=20,
        used=20,
        reset_at=RESET_AT,
        upgrade_url="/pricing/",
    ),
}


def plain_raise(request: HttpRequest, name: str) -> HttpResponse:
    """A plain Django view (no DRF), under /api/ or not depending on the route."""
    raise PLAIN_ERRORS[name]()


# --- Helpers --------------------------------------------------------------------------------


def structlog_events(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == event
    ]


def render_json_line(record: logging.LogRecord) -> dict[str, Any]:
    """The line production writes for `record` (LOG_FORMAT=json)."""
    options = build_logging_config(log_format="json", level="INFO")["formatters"]["structlog"]
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=options["processors"], foreign_pre_chain=options["foreign_pre_chain"]
    )
    line: dict[str, Any] = json.loads(formatter.format(record))
    return line


def html_lang(response: "TestResponse") -> str:
    content = response.content.decode()
    start = content.index('<html lang="') + len('<html lang="')
    return content[start : content.index('"', start)]


def template_names(response: "TestResponse") -> list[str]:
    return [template.name or "" for template in response.templates]


# --- DRF exceptions -------------------------------------------------------------------------


def test_api_validation_error_dict_lists_messages_per_field(anon_client: Client) -> None:
    response = anon_client.post(
        "/api/v1/test-errors/validate/",
        {"title": "x" * 11, "rounds": 0},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["detail"] == "Some fields are not valid."
    assert set(body["fields"]) == {"title", "rounds"}
    assert all(isinstance(message, str) for message in body["fields"]["title"])


def test_api_validation_error_list_becomes_non_field_errors(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/test-errors/validation-list/")
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_failed",
        "detail": "Some fields are not valid.",
        "fields": {"non_field_errors": ["First problem.", "Second problem."]},
    }


def test_api_validation_error_nested_is_flattened_per_top_level_field(
    anon_client: Client,
) -> None:
    response = anon_client.get("/api/v1/test-errors/validation-nested/")
    assert response.json()["fields"] == {"seats": ["Unknown."]}


def test_api_django_validation_error_is_a_validation_failure(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/test-errors/django-validation/")
    assert response.status_code == 400
    assert response.json()["fields"] == {"title": ["Too long."]}


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("authentication-failed", 401, "authentication_failed"),
        ("permission-denied", 403, "permission_denied"),
        ("django-permission-denied", 403, "permission_denied"),
        ("not-found", 404, "not_found"),
        ("http404", 404, "not_found"),
        ("not-acceptable", 406, "not_acceptable"),
    ],
)
def test_api_drf_exception_maps_to_its_code(
    anon_client: Client, name: str, status: int, code: str
) -> None:
    response = anon_client.get(f"/api/v1/test-errors/{name}/")
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == code
    assert body["detail"]


def test_api_not_authenticated_is_401_with_challenge(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/test-errors/protected/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_api_method_not_allowed(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/test-errors/validate/")
    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "detail": 'Method "GET" not allowed.'}
    assert "POST" in response["Allow"]


def test_api_bad_json_is_a_parse_error(anon_client: Client) -> None:
    response = anon_client.post(
        "/api/v1/test-errors/validate/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_api_unsupported_media_type(anon_client: Client) -> None:
    response = anon_client.post(
        "/api/v1/test-errors/validate/", "title=x", content_type="text/plain"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(("name", "seconds"), [("throttled", 30), ("throttled-fraction", 3)])
def test_api_throttled_carries_retry_after(anon_client: Client, name: str, seconds: int) -> None:
    response = anon_client.get(f"/api/v1/test-errors/{name}/")
    assert response.status_code == 429
    assert response["Retry-After"] == str(seconds)
    body = response.json()
    assert body["code"] == "rate_limited"
    assert body["retry_after"] == seconds


def test_api_throttled_without_wait_has_no_retry_after(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/test-errors/throttled-no-wait/")
    assert response.status_code == 429
    assert "Retry-After" not in response
    assert set(response.json()) == {"code", "detail"}


# --- Our AppError tree ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "extra"),
    [
        ("error", 400, {}),
        ("validation_failed", 400, {"fields": {"question": ["Too short."]}}),
        ("not_authenticated", 401, {}),
        ("permission_denied", 403, {}),
        ("not_found", 404, {}),
        ("conflict", 409, {}),
        (
            "quota_exceeded",
            429,
            {
                "limit": 20,
                "used": 20,
                "reset_at": "2030-01-01T00:00:00Z",
                "upgrade_url": "/pricing/",
            },
        ),
        (
            "plan_restriction",
            403,
            {"plan": "free", "required_plan": "pro", "upgrade_url": "/pricing/"},
        ),
        ("rate_limited", 429, {"limit": 60, "reset_at": "2030-01-01T00:00:00Z", "retry_after": 12}),
        ("provider_unavailable", 503, {"provider": "openai"}),
        ("injection_suspected", 400, {}),
        ("internal_error", 500, {}),
        ("bad_request", 400, {}),
        ("payload_too_large", 413, {}),
    ],
)
def test_api_app_error_renders_code_detail_and_extra(
    anon_client: Client, name: str, status: int, extra: dict[str, Any]
) -> None:
    error = APP_ERRORS[name]()
    response = anon_client.get(f"/api/v1/test-errors/app/{name}/")
    assert response.status_code == status == error.status
    assert response.json() == {"code": name, "detail": str(error.default_detail), **extra}


def test_api_app_errors_table_covers_every_subclass() -> None:
    classes = {
        obj
        for obj in vars(exceptions).values()
        if isinstance(obj, type) and issubclass(obj, AppError)
    }
    assert {cls.code for cls in classes} == set(APP_ERRORS)


def test_api_rate_limited_app_error_sets_retry_after_header(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/test-errors/app/rate_limited/")
    assert response["Retry-After"] == "12"


def test_api_app_error_from_a_plain_django_view_is_json(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/test-errors/plain/conflict/")
    assert response.status_code == 409
    assert response.json() == {"code": "conflict", "detail": "Someone else changed this debate."}


# --- Unknown exceptions ---------------------------------------------------------------------


def test_api_unknown_exception_is_internal_error_with_a_logged_traceback(
    anon_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = anon_client.get("/api/v1/test-errors/unknown/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert response.json() == {
        "code": "internal_error",
        "detail": "Something went wrong on our side. It has been logged.",
        "request_id": request_id,
    }
    [record] = structlog_events(caplog, "unhandled_exception")
    assert record.levelno == logging.ERROR
    line = render_json_line(record)
    assert line["request_id"] == request_id
    assert line["path"] == "/api/v1/test-errors/unknown/"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: boom" in line["exception"]


def test_api_unknown_exception_request_id_is_the_one_sent_and_logged(
    anon_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = anon_client.get(
        "/api/v1/test-errors/unknown/", headers={"X-Request-ID": "lb-0123456789abcdef"}
    )
    assert response["X-Request-ID"] == "lb-0123456789abcdef"
    assert response.json()["request_id"] == "lb-0123456789abcdef"
    # Every line of the request (django-structlog's request_finished too) carries the same id.
    logged_ids = {
        record.msg["request_id"]
        for record in caplog.records
        if isinstance(record.msg, dict) and "request_id" in record.msg
    }
    assert logged_ids == {"lb-0123456789abcdef"}


def test_api_unknown_exception_in_a_plain_django_view_is_json_500() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/test-errors/plain/boom/")
    assert response.status_code == 500
    assert response.json() == {
        "code": "internal_error",
        "detail": "Something went wrong on our side. It has been logged.",
        "request_id": response["X-Request-ID"],
    }


def test_html_unknown_exception_renders_500_page_with_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/html/boom/")
    assert response.status_code == 500
    assert "errors/500.html" in template_names(response)
    request_id = response["X-Request-ID"]
    assert f"<code>{request_id}</code>" in response.content.decode()
    [record] = structlog_events(caplog, "request_failed")
    line = render_json_line(record)
    assert line["request_id"] == request_id
    assert "RuntimeError: boom" in line["exception"]


# --- Unknown paths --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_api_unknown_path_is_json_404(method: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/nope/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_html_unknown_path_renders_branded_404_in_english(anon_client: Client) -> None:
    response = anon_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "errors/404.html" in template_names(response)
    assert html_lang(response) == "en"


def test_html_unknown_path_renders_404_in_turkish_from_accept_language() -> None:
    response = Client(headers={"Accept-Language": "tr"}).get("/no-such-page/")
    assert response.status_code == 404
    assert "errors/404.html" in template_names(response)
    assert html_lang(response) == "tr"


def test_html_unknown_path_renders_404_in_turkish_from_language_cookie(
    anon_client: Client,
) -> None:
    anon_client.cookies["consultation_language"] = "tr"
    response = anon_client.get("/no-such-page/")
    assert response.status_code == 404
    assert html_lang(response) == "tr"


# --- AppErrorMiddleware on HTML views -------------------------------------------------------


def test_html_post_conflict_redirects_back_with_the_message(anon_client: Client) -> None:
    response = anon_client.post(
        "/test-errors/html/conflict/", headers={"Referer": "http://testserver/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/"
    page = anon_client.get(response["Location"])
    assert "Someone else changed this debate." in page.content.decode()


def test_html_post_validation_failure_shows_field_messages(anon_client: Client) -> None:
    response = anon_client.post(
        "/test-errors/html/validation/", headers={"Referer": "http://testserver/"}, follow=True
    )
    content = response.content.decode()
    assert "Some fields are not valid." in content
    assert "Ask at least ten characters." in content


def test_htmx_request_gets_the_errors_json_for_the_page_to_show(anon_client: Client) -> None:
    response = anon_client.post("/test-errors/html/quota/", headers={"HX-Request": "true"})
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert body["upgrade_url"] == "/pricing/"


def test_html_post_hitting_a_limit_shows_the_sentence_with_the_plans_link(
    anon_client: Client,
) -> None:
    response = anon_client.post(
        "/test-errors/html/quota/", headers={"Referer": "http://testserver/"}, follow=True
    )
    content = response.content.decode()
    assert "You reached 20 of 20 debates this month on the Free plan." in content
    assert 'href="/pricing/">See the plans</a>' in content


def test_html_get_hitting_a_limit_renders_the_banner(anon_client: Client) -> None:
    response = anon_client.get("/test-errors/html/quota/")
    assert response.status_code == 429
    content = response.content.decode()
    assert "data-limit-banner" in content
    assert 'href="/pricing/"' in content


@pytest.mark.parametrize("referer", ["", "https://evil.example/phish", "//evil.example/"])
def test_html_post_error_never_redirects_off_site(anon_client: Client, referer: str) -> None:
    headers = {"Referer": referer} if referer else {}
    response = anon_client.post("/test-errors/html/conflict/", headers=headers)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_html_get_not_found_renders_404_page_with_detail(anon_client: Client) -> None:
    response = anon_client.get("/test-errors/html/not-found/")
    assert response.status_code == 404
    assert "errors/404.html" in template_names(response)
    assert "That debate is gone." in response.content.decode()


def test_html_permission_denied_renders_403_page_with_detail(anon_client: Client) -> None:
    response = anon_client.get("/test-errors/html/forbidden/")
    assert response.status_code == 403
    assert "errors/403.html" in template_names(response)
    assert "Only the team owner can do this." in response.content.decode()


def test_html_django_permission_denied_renders_403_page(anon_client: Client) -> None:
    response = anon_client.get("/test-errors/html/django-forbidden/")
    assert response.status_code == 403
    assert "errors/403.html" in template_names(response)


def test_html_get_other_app_error_renders_error_page_with_its_status(
    anon_client: Client,
) -> None:
    response = anon_client.get("/test-errors/html/conflict/")
    assert response.status_code == 409
    assert "errors/error.html" in template_names(response)
    assert "Someone else changed this debate." in response.content.decode()


def test_html_not_authenticated_redirects_to_login(anon_client: Client) -> None:
    response = anon_client.get("/test-errors/html/not-authenticated/?x=1")
    assert response.status_code == 302
    assert (
        response["Location"] == "/accounts/login/?next=/test-errors/html/not-authenticated/%3Fx%3D1"
    )

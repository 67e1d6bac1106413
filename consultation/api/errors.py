"""One renderer for every API error: {"code": "...", "detail": "...", ...extra}.

DRF's own exceptions are mapped onto the same vocabulary as our AppError tree, so a client
handles one shape whatever went wrong. Unknown exceptions become 500 `internal_error` carrying
the request id; their traceback is logged with that id.
"""

import math
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from consultation.exceptions import (
    AppError,
    BadRequest,
    InternalError,
    NotAuthenticated,
    PayloadTooLarge,
    RateLimited,
)

logger = structlog.get_logger(__name__)

# The challenge of a 401: an API key as a bearer token (or the session of the web app).
API_CHALLENGE = 'Bearer realm="api"'

# DRF exception class -> our stable code. Checked in order, so subclasses come first.
_DRF_CODES: tuple[tuple[type[drf.APIException], str], ...] = (
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "authentication_failed"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.ParseError, "parse_error"),
    (drf.Throttled, RateLimited.code),
)


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _validation_body(exc: drf.ValidationError) -> dict[str, Any]:
    detail = exc.detail
    if isinstance(detail, dict):
        fields = {str(name): _flatten(messages) for name, messages in detail.items()}
    else:
        fields = {"non_field_errors": _flatten(detail)}
    return {
        "code": "validation_failed",
        "detail": _("Some fields are not valid."),
        "fields": fields,
    }


def request_id_of(request: HttpRequest | None) -> str:
    return str(getattr(request, "request_id", "")) if request is not None else ""


def error_body(exc: Exception, request: HttpRequest | None) -> tuple[dict[str, Any], int]:
    """The JSON body and status of any exception, for DRF and plain Django views alike."""
    # Django refuses these while reading the request (a body over DATA_UPLOAD_MAX_MEMORY_SIZE,
    # a bad Host, too many fields): the client's fault, never a 500.
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = BadRequest()
    if isinstance(exc, AppError):
        return exc.as_dict(), exc.status
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        # A model's clean() failing inside a service is bad input, not a server error.
        exc = drf.ValidationError(as_serializer_error(exc))
    if isinstance(exc, drf.ValidationError):
        return _validation_body(exc), exc.status_code
    if isinstance(exc, drf.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "error")
        body: dict[str, Any] = {"code": code, "detail": str(exc.detail)}
        wait = getattr(exc, "wait", None)  # set by drf.Throttled
        if wait is not None:
            # Round up: a client told "0" for a 0.4 s wait would retry into the limit again.
            body["retry_after"] = math.ceil(wait)
        return body, exc.status_code
    request_id = request_id_of(request)
    logger.error(
        "unhandled_exception",
        path=getattr(request, "path", ""),
        request_id=request_id,
        exc_info=exc,
    )
    internal = InternalError(request_id=request_id)
    return internal.as_dict(), internal.status


def _headers(body: dict[str, Any]) -> dict[str, str]:
    headers = {}
    if (retry_after := body.get("retry_after")) is not None:
        headers["Retry-After"] = str(retry_after)
    return headers


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER."""
    request = context.get("request")
    body, status = error_body(exc, request)
    # Like DRF's own handler: an error inside ATOMIC_REQUESTS must not commit half a write.
    set_rollback()
    # One rule (docs/API.md): no or bad credentials is 401 with a challenge, whatever
    # authentication classes the view has; 403 is for a caller who is known but not allowed.
    # (DRF would answer 403 for a view whose classes send no challenge, e.g. session only.)
    challenge = None
    unknown_caller = drf.NotAuthenticated | drf.AuthenticationFailed | NotAuthenticated
    if isinstance(exc, unknown_caller) or status == 401:  # e.g. invalid_api_key
        status = 401
        challenge = getattr(exc, "auth_header", None) or API_CHALLENGE
    response = Response(body, status=status, headers=_headers(body))
    if challenge:
        response["WWW-Authenticate"] = challenge
    return response


def json_error_response(exc: Exception, request: HttpRequest | None) -> JsonResponse:
    """The same shape outside DRF (unknown /api/ paths, errors raised before a view)."""
    body, status = error_body(exc, request)
    return JsonResponse(body, status=status, headers=_headers(body))

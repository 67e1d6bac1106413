"""The one error vocabulary: every known failure is an AppError with a stable code.

API responses render as {"code": ..., "detail": ..., **extra}; HTML views show the same codes as
translated messages. Codes are part of the public contract (docs/API.md): never rename one.
"""

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AppError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    default_detail: ClassVar[str | Promise] = _("The request could not be completed.")

    def __init__(self, detail: str | Promise | None = None, **extra: Any) -> None:
        self.detail = detail if detail is not None else self.default_detail
        self.extra = extra
        super().__init__(str(self.detail))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": str(self.detail), **self.extra}


class ValidationFailed(AppError):
    """Bad input; `fields` maps a field name (or "non_field_errors") to its messages."""

    code = "validation_failed"
    status = 400
    default_detail = _("Some fields are not valid.")

    def __init__(
        self,
        detail: str | Promise | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail, fields=fields or {}, **extra)


class NotAuthenticated(AppError):
    code = "not_authenticated"
    status = 401
    default_detail = _("Authentication is required.")


class InvalidAPIKey(AppError):
    """The API key sent is malformed, unknown, revoked or expired (the four look the same)."""

    code = "invalid_api_key"
    status = 401
    default_detail = _("The API key is not valid. It may have been revoked or have expired.")


class ScopeMissing(AppError):
    """The API key lacks the scope this endpoint needs; extra carries `required_scope`."""

    code = "scope_missing"
    status = 403
    default_detail = _("This API key does not have the scope this request needs.")


class PermissionDenied(AppError):
    code = "permission_denied"
    status = 403
    default_detail = _("You do not have permission to do this.")


class NotFound(AppError):
    code = "not_found"
    status = 404
    default_detail = _("Not found.")


class Conflict(AppError):
    code = "conflict"
    status = 409
    default_detail = _("This conflicts with the current state.")


class QuotaExceeded(AppError):
    """A plan limit is used up; extra carries limit, used, reset_at and upgrade_url."""

    code = "quota_exceeded"
    status = 429
    default_detail = _("Your plan's limit is used up.")


class PlanRestriction(AppError):
    """The plan does not allow this (seats, rounds, a model tier, exports); extra carries
    `plan` (the team's) and `required_plan` (the first that allows it) and `upgrade_url`."""

    code = "plan_restriction"
    status = 403
    default_detail = _("Your plan does not allow this.")


class RateLimited(AppError):
    """Too many requests; extra carries limit, reset_at and retry_after (seconds)."""

    code = "rate_limited"
    status = 429
    default_detail = _("Too many requests. Please slow down.")


class ProviderUnavailable(AppError):
    code = "provider_unavailable"
    status = 503
    default_detail = _("The model provider is unavailable right now.")


class InjectionSuspected(AppError):
    """The question reads as an attempt to instruct the models (SAFETY_INJECTION_MODE=block)."""

    code = "injection_suspected"
    status = 400
    default_detail = _(
        "This question looks like an attempt to give the models instructions, so it was not "
        "started. Ask the question itself, without instructions to the models."
    )


class InternalError(AppError):
    code = "internal_error"
    status = 500
    default_detail = _("Something went wrong on our side. It has been logged.")


class BadRequest(AppError):
    """A request the server cannot read at all: a bad Host, a broken multipart body."""

    code = "bad_request"
    status = 400
    default_detail = _("The request could not be understood.")


class PayloadTooLarge(AppError):
    code = "payload_too_large"
    status = 413
    default_detail = _("The request body is too large.")

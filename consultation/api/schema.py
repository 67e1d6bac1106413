"""The OpenAPI schema's additions to drf-spectacular's: the scope each operation needs from an
API key, and the error shape of every failure an operation can answer with."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

from consultation.api.permissions import ANY_SCOPE, KeyScopes, required_scope

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Every error: a stable `code` and a human `detail` (in the request's language), plus "
        "fields of its kind: `fields` (validation_failed); `limit`, `used`, `reset_at`, "
        "`upgrade_url` (quota_exceeded, rate_limited; rate_limited also `retry_after`); "
        "`required_scope` (scope_missing); `request_id` (internal_error)."
    ),
    "properties": {
        "code": {"type": "string", "example": "rate_limited"},
        "detail": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "limit": {"type": "integer"},
        "used": {"type": "integer"},
        "reset_at": {"type": "string", "format": "date-time"},
        "retry_after": {"type": "integer"},
        "upgrade_url": {"type": "string"},
        "required_scope": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "required": ["code", "detail"],
}
_ERRORS = {
    "400": "Invalid input (`validation_failed`, `parse_error`).",
    "401": "Not signed in, or the API key is not valid (`not_authenticated`, `invalid_api_key`).",
    "403": "Not allowed (`permission_denied`, `scope_missing`, `plan_restriction`).",
    "404": "Not found, or not yours (`not_found`).",
    "429": (
        "Too many requests (`rate_limited`, with `Retry-After` and the RateLimit headers) or "
        "a plan quota used up (`quota_exceeded`)."
    ),
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        keys_allowed = any(
            isinstance(permission, KeyScopes) for permission in self.view.get_permissions()
        )
        scope = required_scope(self.view, self.method) if keys_allowed else None
        if scope is None:
            operation["x-required-scope"] = None
            note = "API keys: not accepted (signed-in session only)."
        elif scope == ANY_SCOPE:
            operation["x-required-scope"] = "any"
            note = "API keys: any scope."
        else:
            operation["x-required-scope"] = scope
            note = f"API keys: needs the `{scope}` scope."
        description = operation.get("description", "")
        operation["description"] = f"{description}\n\n{note}".strip()
        self.registry.register_on_missing(
            ResolvedComponent(  # type: ignore[no-untyped-call]
                name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
            )
        )
        responses = operation.setdefault("responses", {})
        for status, text in _ERRORS.items():
            responses.setdefault(
                status,
                {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            )
        return operation

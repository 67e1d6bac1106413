"""How the OpenAPI schema describes key authentication (loaded by ApikeysConfig.ready)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "apikeys.authentication.APIKeyAuthentication"
    name = "apiKey"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "csk_live_…",
            "description": (
                "An API key from Settings → API access, as `Authorization: Bearer <key>` (or "
                "the `X-API-Key` header). Each operation names the scope a key needs in "
                "`x-required-scope`; keys act for their team only. A bad, revoked or expired "
                "key is 401 `invalid_api_key`; a missing scope is 403 `scope_missing`."
            ),
        }

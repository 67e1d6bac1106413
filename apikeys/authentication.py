"""DRF authentication by API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

A request that carries a key is authenticated by the key alone: the session cookie is not
read, so there is no CSRF check either (a key is not ambient: a browser never sends it by
itself). A request without one falls through to the session authenticator, which enforces
CSRF as before. A bad key is a 401 `invalid_api_key` at once, never a fall back to the cookie.

With a key, the request acts for the key's team: `request.team` (the active team every view
reads) is set to it, whatever team the creator has open in the browser.
"""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.models import User
from apikeys.models import APIKey
from apikeys.selectors import apikey_authenticate
from apikeys.services import apikey_touch
from consultation.exceptions import InvalidAPIKey

CHALLENGE = 'Bearer realm="api"'


def key_from_headers(headers: Any) -> str | None:
    """The key a request (or a WebSocket handshake) presents, if any. `headers` is
    case-insensitive (request.headers)."""
    authorization = str(headers.get("Authorization", "") or "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    api_key = str(headers.get("X-API-Key", "") or "").strip()
    return api_key or None


def authenticate_key(raw: str) -> tuple[User, APIKey]:
    """The user and key behind `raw` (InvalidAPIKey otherwise); records use (at most once a
    minute). Shared by the DRF authenticator, the SSE stream and the WebSocket."""
    now = timezone.now()
    api_key = apikey_authenticate(raw=raw, now=now)
    apikey_touch(api_key=api_key, now=now)
    user = api_key.created_by
    assert user is not None  # apikey_authenticate only returns keys with an active creator
    return user, api_key


def bind_key_to_request(request: HttpRequest, api_key: APIKey) -> None:
    """The key's team becomes the request's active team."""
    request.team = api_key.team  # type: ignore[attr-defined]
    request.api_key = api_key  # type: ignore[attr-defined]


class APIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, APIKey] | None:
        raw = key_from_headers(request._request.headers)
        if raw is None:
            return None
        try:
            user, api_key = authenticate_key(raw)
        except InvalidAPIKey as exc:
            # Settle the request as anonymous first: the error handler (and the log
            # middleware) read request.user, which must not authenticate again.
            request._not_authenticated()  # type: ignore[attr-defined]
            exc.auth_header = CHALLENGE  # type: ignore[attr-defined]
            raise
        bind_key_to_request(request._request, api_key)
        return user, api_key

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE


def request_api_key(request: Request | HttpRequest) -> APIKey | None:
    """The key that authenticated this request (None for a session or anonymous one)."""
    if isinstance(request, Request):
        auth = request.auth
        return auth if isinstance(auth, APIKey) else None
    key = getattr(request, "api_key", None)
    return key if isinstance(key, APIKey) else None


def key_from_scope(scope: dict[str, Any]) -> str | None:
    """The key of an ASGI connection (a WebSocket handshake, the SSE request): from its
    headers only; a key in the URL is never read (URLs end up in logs and browser history)."""
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }
    return key_from_headers(_CaseInsensitive(headers))


class _CaseInsensitive(dict[str, str]):
    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

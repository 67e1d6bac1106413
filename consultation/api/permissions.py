"""What a key may do: each API view names the scope its methods need.

    class DebateListCreateApi(APIView):
        required_scopes = {"GET": DEBATES_READ, "POST": DEBATES_WRITE}

A request authenticated by a key passes only if the key holds the scope of the method; a view
that names none refuses keys altogether (deny by default, so a new endpoint is never open to
keys by accident). Session requests are not affected: scopes limit keys, not people.

Here rather than in apikeys so that every app's API can name its scopes (apps below apikeys
included): a key is recognised by what it is, the credential DRF put in `request.auth` with
scopes (apikeys.models.APIKey), without importing it.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from consultation.exceptions import PermissionDenied, ScopeMissing

DEBATES_READ = "debates:read"
DEBATES_WRITE = "debates:write"
USAGE_READ = "usage:read"
# Any valid key passes (an endpoint that shows nothing a key's scopes guard, e.g. /me/).
ANY_SCOPE = "*"


def required_scope(view: Any, method: str) -> str | None:
    scopes: dict[str, str] = getattr(view, "required_scopes", {}) or {}
    if method in ("HEAD", "OPTIONS"):
        method = "GET"
    return scopes.get(method)


def is_key(auth: Any) -> bool:
    """Whether DRF's `request.auth` is an API key (a session request has None)."""
    return callable(getattr(auth, "has_scope", None))


class KeyScopes(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not is_key(api_key):
            return True
        method = request.method or "GET"
        if not hasattr(view, method.lower()):
            return True  # the view has no such method: DRF answers 405, as to anyone
        scope = required_scope(view, method)
        if scope is None:
            raise PermissionDenied(_("API keys cannot be used here; sign in instead."))
        if scope != ANY_SCOPE and not api_key.has_scope(scope):  # type: ignore[union-attr]
            raise ScopeMissing(required_scope=scope)
        return True


class SessionOnly(BasePermission):
    """Key management itself is for people signed in, never for keys."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_key(request.auth):
            raise PermissionDenied(_("API keys are managed from a signed-in session only."))
        return True

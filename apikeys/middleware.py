"""Requests per minute outside DRF: the RateLimit headers on API responses, and the limit on
the pages' form and htmx posts (apikeys/throttling.py counts)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from accounts.middleware import request_team
from accounts.models import User
from apikeys.throttling import DECISION_ATTR, Counted, rate_check, rate_headers, remember
from consultation.exceptions import RateLimited
from consultation.middleware import AppErrorMiddleware

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Paths the page limiter never counts: the API has its own (the throttle), admin is staff's.
# Signing in and out and switching the language are never refused either: a user over the
# limit can always leave.
_PAGE_EXEMPT = ("/api/", "/admin/", "/static/", "/healthz", "/readyz", "/accounts/", "/language/")


class RateLimitMiddleware:
    """Adds the RateLimit headers to API responses, and limits the pages' writes.

    Pages: a signed-in user's form posts and htmx posts count against the same per-user limit
    as their API calls (plain page views are not counted: reading is not limited). A refusal
    is rendered like any other error of its kind (consultation.middleware): a banner with the
    sentence and the link to the plans, for a form post, an htmx request or a page alike.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._counts_page(request):
            refused = self._check_page(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        counted: Counted | None = getattr(request, DECISION_ATTR, None)
        if counted is not None:
            for name, value in rate_headers(counted).items():
                response[name] = value
        return response

    @staticmethod
    def _counts_page(request: HttpRequest) -> bool:
        return (
            request.method in _WRITE_METHODS
            and not request.path.startswith(_PAGE_EXEMPT)
            and request.user.is_authenticated
        )

    def _check_page(self, request: HttpRequest) -> HttpResponseBase | None:
        user = request.user
        assert isinstance(user, User)
        try:
            remember(
                request,
                rate_check(api_key=None, user=user, team=request_team(request), ip=""),
            )
        except RateLimited as refused:
            counted_: Counted | None = getattr(refused, "counted", None)
            response = AppErrorMiddleware(self.get_response).process_exception(request, refused)
            assert response is not None
            if counted_ is not None:
                for name, value in rate_headers(counted_).items():
                    response[name] = value
                response["Retry-After"] = str(counted_.decision.reset_in)
            return response
        return None

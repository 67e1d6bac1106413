"""Requests per minute at the edges: the API (a DRF throttle) and the pages' form and htmx posts
(apikeys/middleware.py), counted per key, per signed-in user or per anonymous IP.

The rate comes from the plan of the caller's team, or from the key when its own is tighter
(`billing.limits.rate_policy`); the counting is `billing.ratelimits.rate_limit_hit`. A refusal is
429 `rate_limited` with the quota body shape and `Retry-After`; every API response carries the
IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers-09 syntax):

    RateLimit-Policy: "key";q=30;w=60
    RateLimit: "key";r=12;t=48

(`q` the quota, `w` the window in seconds, `r` what remains, `t` seconds until it resets; the
policy name says what is counted: "key", "user" or "ip".)
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.middleware import request_team
from accounts.models import Team, User
from apikeys.authentication import request_api_key
from apikeys.models import APIKey
from billing.limits import RatePolicy, rate_limited, rate_policy
from billing.ratelimits import RateDecision, rate_limit_hit
from billing.services import rate_limit_refusal_record
from consultation.exceptions import RateLimited

DECISION_ATTR = "rate_decision"


@dataclass(frozen=True)
class Counted:
    """One request counted: against what (`name`), at what policy, and the outcome."""

    name: str  # "key", "user" or "ip": the RateLimit policy name
    policy: RatePolicy
    decision: RateDecision


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def rate_check(
    *,
    api_key: APIKey | None,
    user: User | None,
    team: Team | None,
    ip: str,
) -> Counted:
    """Count one request of this caller; raise RateLimited (recorded) when over the limit."""
    team_id: str | None = None
    key_id: str | None = None
    if api_key is not None:
        name, scope_key = "key", f"key:{api_key.pk}"
        policy = rate_policy(team=api_key.team, own_limit=api_key.rate_limit_per_minute)
        team_id, key_id = str(api_key.team_id), str(api_key.pk)
    elif user is not None:
        name, scope_key = "user", f"user:{user.pk}"
        policy = rate_policy(team=team)
        team_id = str(team.pk) if team is not None else None
    else:
        name, scope_key = "ip", f"ip:{ip}"
        policy = rate_policy(team=None)
    decision = rate_limit_hit(scope_key=scope_key, rate_per_minute=policy.per_minute)
    counted = Counted(name=name, policy=policy, decision=decision)
    if not decision.allowed:
        refused = rate_limited(policy, decision)
        refused.counted = counted  # type: ignore[attr-defined]
        rate_limit_refusal_record(refused, scope=name, team_id=team_id, key_id=key_id)
        raise refused
    return counted


def rate_headers(counted: Counted) -> dict[str, str]:
    decision = counted.decision
    return {
        "RateLimit-Policy": f'"{counted.name}";q={decision.limit};w={decision.window}',
        "RateLimit": f'"{counted.name}";r={decision.remaining};t={decision.reset_in}',
    }


def remember(request: HttpRequest, counted: Counted) -> None:
    setattr(request, DECISION_ATTR, counted)


class PlanRateThrottle(BaseThrottle):
    """The API's limit (DRF runs it after authentication, so a key is known)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        signed_in = user if isinstance(user, User) else None
        try:
            counted = rate_check(
                api_key=request_api_key(request),
                user=signed_in,
                team=request_team(request._request) if signed_in is not None else None,
                ip=client_ip(request._request),
            )
        except RateLimited as exc:
            if (counted_ := getattr(exc, "counted", None)) is not None:
                remember(request._request, counted_)
            raise
        remember(request._request, counted)
        return True

"""Requests per minute: the counter behind every rate limit, over django-ratelimit.

Callers name what is counted (`scope_key`: a key, a user, an anonymous IP) and the rate that
applies (from the plan, `billing.limits.api_rate_for_team`); this module alone knows that the
counting is django-ratelimit's, so it can be swapped. The counters live in the default cache:
per process in the embedded default, shared by every process (so exact across them) when
REDIS_URL makes the cache Redis: `cache.add` then `cache.incr` are atomic there.

Windows are django-ratelimit's fixed ones: 60 seconds, each scope's shifted by a hash of its
key so that not every client's window turns over at the same second.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

WINDOW_SECONDS = 60
_GROUP = "consultation.requests"


@dataclass(frozen=True)
class RateDecision:
    """One request counted against a limit of `limit` per `window` seconds."""

    limit: int
    used: int
    remaining: int
    reset_in: int  # seconds until the window turns over (at least 1)
    reset_at: datetime
    allowed: bool
    window: int = WINDOW_SECONDS

    def try_again(self) -> str:
        """The sentence a refusal ends with: when the window turns over."""
        return ngettext(
            "Try again in %(wait)d second.", "Try again in %(wait)d seconds.", self.reset_in
        ) % {"wait": self.reset_in}


def rate_limit_hit(*, scope_key: str, rate_per_minute: int) -> RateDecision:
    """Count one request of `scope_key` and say whether it is within `rate_per_minute`."""
    now = timezone.now()
    usage = get_usage(
        None,
        group=_GROUP,
        key=lambda _group, _request: scope_key,
        rate=(rate_per_minute, WINDOW_SECONDS),
        increment=True,
    )
    if usage is None:  # RATELIMIT_ENABLE off: everything passes, nothing is counted
        return RateDecision(
            limit=rate_per_minute,
            used=0,
            remaining=rate_per_minute,
            reset_in=WINDOW_SECONDS,
            reset_at=now + timedelta(seconds=WINDOW_SECONDS),
            allowed=True,
        )
    used = int(usage["count"])
    # time_left is -1 when the cache could not count (django-ratelimit then refuses).
    reset_in = max(1, min(WINDOW_SECONDS, int(usage["time_left"])))
    return RateDecision(
        limit=rate_per_minute,
        used=used,
        remaining=max(0, rate_per_minute - used),
        reset_in=reset_in,
        reset_at=(now + timedelta(seconds=reset_in)).replace(microsecond=0),
        allowed=not usage["should_limit"],
    )

"""Where a request comes from (client address and browser), for the audit log.

Services never read `request` (house style), yet an audit entry says from where an action
came. So the accounts middleware notes the request's origin in a context variable for the
length of the request, and `audit_record` reads it: work done outside a request (the worker,
a management command) has no origin and its entries say so.
"""

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest

USER_AGENT_MAX = 300


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None
    user_agent: str


_current: ContextVar[RequestOrigin | None] = ContextVar("request_origin", default=None)


def origin_of(request: HttpRequest) -> RequestOrigin:
    """The request's client address (REMOTE_ADDR, as the rate limits use it: a proxy in front
    sets it through the server's own configuration) and its User-Agent, cut to what is kept."""
    raw = str(request.META.get("REMOTE_ADDR", "") or "")
    try:
        ip: str | None = str(ipaddress.ip_address(raw))
    except ValueError:
        ip = None
    agent = "".join(c for c in str(request.headers.get("user-agent", "")) if c.isprintable())
    return RequestOrigin(ip_address=ip, user_agent=agent[:USER_AGENT_MAX])


@contextmanager
def request_origin(origin: RequestOrigin | None) -> Iterator[None]:
    token = _current.set(origin)
    try:
        yield
    finally:
        _current.reset(token)


def current_origin() -> RequestOrigin | None:
    return _current.get()

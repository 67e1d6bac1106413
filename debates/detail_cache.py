"""The API's render cache of a debate's detail (docs/PERFORMANCE.md, "API throughput").

A debate changes: a running one with every event, a finished one rarely, but it does (its link
opens and closes, retention or an account's deletion wipes its text, its parent's deletion
unlinks it, staff edit a turn in the admin, a model of the catalog is renamed). So an entry is
never invalidated by hand: its key is a digest of everything the rendered bytes depend on, read
from the row the access check fetches anyway (every column of the debate, the catalog's last
change, the language and time zone of the response). A change to any of them is a new key, and
the old entry is never read again (it expires). The lists (seats, turns, judgments, documents)
are not in the row, but every change to them changes the row in the same transaction:

- while the debate runs, each of the pipeline's writes that adds a turn or a judgment or fails
  a seat appends its event, and an event moves the row's `last_seq` (debates.events; the
  detail shows `last_seq` too); a fork's copied turns are written with the fork's row;
- once it is finished, retention sets `anonymised_at`, and the admin's turn and judgment pages
  touch `updated_at` (debates.services.tidy.debate_touch).

The row is read before the lists, so a render stored under a key never holds lists older than
that key's row. A finished debate's entry is kept API_DETAIL_CACHE_SECONDS; a queued or
running debate's at most UNFINISHED_SECONDS, since its next event replaces it within seconds.

The detail is the same for every caller allowed to see it (no field depends on who asks), so
the entry is shared; access is checked on every request before the cache is read.

The digest is also the response's ETag: a client that sends it back in If-None-Match gets a
304 without the body (a client polling a running debate learns "nothing new" that way).
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone, translation

from debates.models import FINISHED_STATUSES, Debate

# Part of every key: bump it when the detail's rendering changes (a field added, a format), so
# a deployment never serves what the previous code rendered.
RENDER_VERSION = 1

_COLUMNS = tuple(field.attname for field in Debate._meta.concrete_fields)


# How long the render of a debate not finished yet is kept: its next event makes a new one.
UNFINISHED_SECONDS = 60


def detail_is_cacheable() -> bool:
    return settings.API_DETAIL_CACHE_SECONDS > 0


def _keep_seconds(debate: Debate) -> int:
    if debate.status in FINISHED_STATUSES:
        return settings.API_DETAIL_CACHE_SECONDS
    return min(UNFINISHED_SECONDS, settings.API_DETAIL_CACHE_SECONDS)


def detail_digest(debate: Debate) -> str:
    """The digest of everything a debate's rendered detail depends on. `debate` comes from
    selectors.debate_get_brief_for_user (`catalog_changed_at` with it)."""
    parts = (
        RENDER_VERSION,
        translation.get_language(),
        # Dates render in the current time zone (UTC unless something activates another).
        timezone.get_current_timezone_name(),
        tuple(getattr(debate, column) for column in _COLUMNS),
        # The chair, the judges' and the seats' models: names from the catalog.
        debate.catalog_changed_at,  # type: ignore[attr-defined]
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


class _Recent:
    """The process's most recently served renders, in front of the "renders" cache: a key
    names its bytes for good, so a copy kept here can never be stale, and it saves the
    services mode a Redis round trip with ~30 KB of answer (~8% of a request's CPU)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._bodies[key] = body
            self._bodies.move_to_end(key)
            while len(self._bodies) > self.size:
                self._bodies.popitem(last=False)


_recent = _Recent(size=128)


def detail_cached(debate: Debate, digest: str, render: Callable[[], bytes]) -> bytes:
    """The rendered detail stored under `digest`, rendered and stored now if missing."""
    key = f"debate-detail:{debate.pk}:{digest}"
    if (body := _recent.get(key)) is not None:
        return body
    cache = caches["renders"]
    body = cache.get(key)
    if not isinstance(body, bytes):
        body = render()
        cache.set(key, body, timeout=_keep_seconds(debate))
    _recent.put(key, body)
    return body

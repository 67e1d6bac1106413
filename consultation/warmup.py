"""Work a web process does once, before its first request, instead of during it.

Django builds the URL resolver's reverse lookup lazily, once per language, on the first
`reverse()` (and imports every view's module on the way: ~0.4 s here). Under ASGI each
request runs in a thread of its own, and until one of them has finished building it, every
request that reverses a URL builds it again: 50 clients arriving together at a fresh process
kept 50 threads building it on one GIL, and a create waited 18 s for its links
(docs/PERFORMANCE.md, "A fresh process under load").
"""

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation


def warm_up() -> None:
    """Build the URL resolver's reverse lookups for every language the site speaks."""
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018  (built on first access, then kept)

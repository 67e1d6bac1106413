"""The browser renders streamed and completed turns itself (frontend/live/markdown.ts) with the
server's rules (debates/rendering.py): the same allow-list of tags, attributes and link
schemes, the same CommonMark options. (The e2e test compares the two renderers' HTML for the
turns of a real debate: tests/e2e/test_ux_e2e.py.)"""

import re
from pathlib import Path

from django.conf import settings

from debates import rendering

SOURCE = (Path(settings.BASE_DIR) / "frontend" / "live" / "markdown.ts").read_text()


def _array(name: str) -> set[str]:
    match = re.search(rf"export const {name} = \[(.*?)\];", SOURCE, re.S)
    assert match, name
    return set(re.findall(r'"([^"]+)"', match.group(1)))


def test_the_browser_allows_exactly_the_servers_tags_and_attributes() -> None:
    assert _array("ALLOWED_TAGS") == rendering.ALLOWED_TAGS
    attributes = {name for names in rendering.ALLOWED_ATTRIBUTES.values() for name in names}
    assert _array("ALLOWED_ATTR") == attributes


def test_the_browser_uses_the_same_markdown_options_and_link_rules() -> None:
    assert 'new MarkdownIt("commonmark", { html: false, linkify: false }).enable("table")' in SOURCE
    schemes = re.search(r"const ALLOWED_URI = /\^\(\?:\(\?:(.*?)\):", SOURCE)
    assert schemes, "ALLOWED_URI"
    assert schemes.group(1) == "https?|mailto"
    assert {"http", "https", "mailto"} == rendering.ALLOWED_URL_SCHEMES
    assert '"nofollow noopener noreferrer"' in SOURCE

from html.parser import HTMLParser

import pytest

from debates.rendering import render_markdown


class Elements(HTMLParser):
    """Collects the real elements and attributes of a fragment (escaped text is not one)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def test_markdown_renders_formatting_and_tables() -> None:
    html = render_markdown("**bold** and *em*\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<table>" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<p onclick="alert(1)">hi</p>',
        "![x](javascript:alert(1))",
    ],
)
def test_markdown_never_lets_markup_or_scripts_through(attack: str) -> None:
    elements = Elements(render_markdown(attack))
    assert not {"img", "script", "iframe"} & set(elements.tags)
    assert not [name for name, _ in elements.attributes if name.startswith("on")]
    assert not [value for name, value in elements.attributes if "javascript" in value.lower()]


def test_links_are_kept_with_safe_rel() -> None:
    html = render_markdown("[docs](https://example.com)")
    assert 'href="https://example.com"' in html
    assert 'rel="nofollow noopener noreferrer"' in html

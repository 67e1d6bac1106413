"""Formatting for the debate pages. Filters format; they never decide."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString

from debates.rendering import render_markdown
from debates.services import exports
from debates.services.exports import percent_text
from safety.pii import PlaceholderMap, restore

register = template.Library()


@register.filter
def markdown(text: str | None) -> SafeString:
    """Untrusted Markdown (model output) as sanitised HTML."""
    return render_markdown(text or "")


@register.filter
def reveal(text: str | None, pii: PlaceholderMap | None) -> str:
    """Text with the originals of its placeholders, for a viewer given the map (the debate's
    creator); as stored, with [EMAIL_1] and the like, for everyone else."""
    if not text or pii is None:
        return text or ""
    return restore(text, pii)


@register.filter
def percent(value: float | None) -> str:
    """0.72 -> "72%"; nothing for no value."""
    if value is None:
        return ""
    return percent_text(float(value))


@register.filter
def usd(value: Decimal | float | str | None) -> str:
    """A cost in dollars: four decimals below a cent, two above."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    return f"${amount:.4f}" if amount < Decimal("0.01") and amount != 0 else f"${amount:.2f}"


@register.filter
def seat_letter(position: int | str) -> str:
    """0 -> "A": the letter of a seat by its position (or its label, "Seat A" -> "A")."""
    if isinstance(position, str):
        return position.rsplit(" ", 1)[-1]
    return chr(ord("A") + position)


@register.simple_tag
def ranking_note() -> str:
    """The scoreboard's method in one line (debates.services.exports.ranking_note)."""
    return exports.ranking_note()


@register.simple_tag
def methodology_url() -> str:
    return exports.methodology_url()


# A question longer than this (or of several lines) gets a title-sized summary as its heading
# and the whole text in a collapsible block below it.
TITLE_CHARS = 140


@register.filter
def question_title(text: str | None) -> str:
    """The first line of a question, cut at a word near TITLE_CHARS ("…" when cut)."""
    first = (text or "").strip().split("\n", 1)[0].strip()
    if len(first) <= TITLE_CHARS:
        return first if first == (text or "").strip() else f"{first.rstrip('…')}…"
    cut = first[:TITLE_CHARS].rsplit(" ", 1)[0] or first[:TITLE_CHARS]
    return f"{cut.rstrip(',;:.')}…"


@register.filter
def question_is_long(text: str | None) -> bool:
    stripped = (text or "").strip()
    return len(stripped) > TITLE_CHARS or "\n" in stripped


@register.filter
def grouped(value: int | None) -> str:
    """12345 -> "12,345" in English, "12.345" in Turkish (as the export writes it)."""
    if value is None:
        return ""
    return number_format(value, use_l10n=True, force_grouping=True)

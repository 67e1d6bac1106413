"""Template filters of the thread parts of the debate page."""

from collections.abc import Mapping

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, str], key: object) -> str:
    """`mapping[str(key)]`, or "" (the detail page's copied turns: who wrote each)."""
    return mapping.get(str(key), "")

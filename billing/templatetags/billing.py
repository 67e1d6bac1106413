"""Formatting for billing pages: limits that may be unlimited."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def limit(value: int | None, unit: str) -> str:
    """`20 debates a month`, or `Unlimited debates a month` for a blank limit."""
    if value is None:
        return f"{_('Unlimited')} {unit}"
    return f"{number_format(value, force_grouping=True)} {unit}"

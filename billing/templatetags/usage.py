"""Formatting for usage figures: grouped counts and dollar amounts in the active locale."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def grouped(value: int | Decimal | None) -> str:
    """`12,345` in English, `12.345` in Turkish."""
    return number_format(value or 0, force_grouping=True)


@register.filter
def money(value: int | Decimal | str | None) -> str:
    """`$1,234.50` (`$1.234,50` in Turkish); an amount under a cent but not zero: `<$0.01`."""
    amount = Decimal(value or 0)
    if 0 < amount < CENT:
        return "<$" + number_format(CENT, decimal_pos=2)
    return "$" + number_format(amount, decimal_pos=2, force_grouping=True)

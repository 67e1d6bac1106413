from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as "1 min 05 s" (or "42 s", "1 h 03 min"); "-" when unknown."""
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


@register.filter
def percent(ratio: float | None) -> str:
    """A ratio as a whole percentage ("83 %"); "-" when there is nothing to divide."""
    if ratio is None:
        return "-"
    return _("%(n)d%%") % {"n": round(100 * ratio)}

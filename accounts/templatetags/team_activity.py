from django import template

from accounts.activity import activity_sentence
from accounts.models import AuditEntry

register = template.Library()


@register.filter
def activity(entry: AuditEntry) -> str:
    """An audit entry as a sentence: "ada@example.com created the team."."""
    return activity_sentence(entry)

"""A team's activity in words: each audit action (AuditEntry.action, e.g. "team.created") as a
sentence in the active language, never as the raw code. Actions from other apps are recorded
by name here too; one this table does not know yet reads "<who> did something (code)"."""

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import AuditEntry, MemberRole

Sentence = Callable[[str, Mapping[str, Any]], str]


def _role(value: object) -> str:
    return str(MemberRole(value).label).lower() if value in MemberRole.values else str(value)


_SENTENCES: dict[str, Sentence] = {
    "team.created": lambda who, data: _("%(who)s created the team.") % {"who": who},
    "user.created": lambda who, data: _("%(who)s created an account.") % {"who": who},
    "user.signed_up": lambda who, data: _("%(who)s signed up.") % {"who": who},
    "profile.updated": lambda who, data: _("%(who)s updated their profile.") % {"who": who},
    "invitation.created": lambda who, data: (
        _("%(who)s invited %(email)s as %(role)s.")
        % {"who": who, "email": data.get("email", "?"), "role": _role(data.get("role", ""))}
    ),
    "invitation.revoked": lambda who, data: (
        _("%(who)s withdrew the invitation of %(email)s.")
        % {"who": who, "email": data.get("email", "?")}
    ),
    "membership.joined": lambda who, data: (
        _("%(who)s joined the team as %(role)s.")
        % {"who": who, "role": _role(data.get("role", ""))}
    ),
    "membership.role_changed": lambda who, data: (
        _("%(who)s made %(user)s %(role)s (was %(previous)s).")
        % {
            "who": who,
            "user": data.get("user", "?"),
            "role": _role(data.get("to", "")),
            "previous": _role(data.get("from", "")),
        }
    ),
    "membership.left": lambda who, data: _("%(who)s left the team.") % {"who": who},
    "membership.removed": lambda who, data: (
        _("%(who)s removed %(user)s from the team.") % {"who": who, "user": data.get("user", "?")}
    ),
    "debate.shared": lambda who, data: _("%(who)s shared a debate with the team.") % {"who": who},
    "debate.unshared": lambda who, data: (
        _("%(who)s stopped sharing a debate with the team.") % {"who": who}
    ),
    "debate.made_public": lambda who, data: (
        _("%(who)s opened a public link to a debate.") % {"who": who}
    ),
    "debate.made_private": lambda who, data: (
        _("%(who)s closed the public link of a debate.") % {"who": who}
    ),
}


def activity_sentence(entry: AuditEntry) -> str:
    who = entry.actor_email or _("The system")
    sentence = _SENTENCES.get(entry.action)
    data = entry.data if isinstance(entry.data, dict) else {}
    if sentence is None:
        return _("%(who)s did something (%(action)s).") % {"who": who, "action": entry.action}
    return sentence(who, data)

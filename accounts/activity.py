"""A team's activity in words: each audit action (AuditEntry.action, e.g. "team.created") as a
sentence in the active language, never as the raw code. Actions from other apps are recorded
by name here too; one this table does not know yet reads "<who> did something (code)".

Actions come in kinds (members, keys, billing, sharing, account), the filter of the team's
audit page: a kind is a set of action prefixes, so the filter runs in the database."""

from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AuditEntry, MemberRole

# What an entry's actor_email reads once the actor's account was deleted (accounts.services).
DELETED_ACTOR = "deleted-account"

# kind -> (label, action prefixes)
ACTION_KINDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "members": (
        gettext_lazy("Members and team"),
        ("team.", "invitation.", "membership.", "user.", "profile."),
    ),
    "keys": (gettext_lazy("API keys"), ("apikey.",)),
    "billing": (gettext_lazy("Billing and plan"), ("billing.",)),
    "sharing": (gettext_lazy("Sharing and debates"), ("debate.",)),
    "account": (gettext_lazy("Accounts and data"), ("account.", "data_export.")),
}


def action_kind_q(kind: str) -> Q:
    """The filter of one kind of action (an unknown kind matches nothing)."""
    prefixes = ACTION_KINDS[kind][1] if kind in ACTION_KINDS else ()
    query = Q(pk__in=[])
    for prefix in prefixes:
        query |= Q(action__startswith=prefix)
    return query


Sentence = Callable[[str, Mapping[str, Any]], str]


def _status(value: object) -> str:
    """A subscription status (billing.SubscriptionStatus, recorded by name) in words."""
    words = {
        "none": _("no subscription"),
        "active": _("active"),
        "trialing": _("trial"),
        "past_due": _("payment failed"),
        "canceled": _("cancelled"),
    }
    return words.get(str(value), str(value))


def _plan(value: object) -> str:
    """A plan, recorded by its slug ("pro"), as its name reads ("Pro")."""
    return str(value or "?").replace("_", " ").title()


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
    "debate.listed": lambda who, data: (
        _("%(who)s listed a debate on the hall of fame.") % {"who": who}
    ),
    "debate.unlisted": lambda who, data: (
        _("%(who)s took a debate off the hall of fame.") % {"who": who}
    ),
    "debate.anonymised": lambda who, data: (
        _("%(who)s wiped the text of a debate (its numbers are kept).") % {"who": who}
    ),
    "apikey.created": lambda who, data: (
        _("%(who)s created the API key “%(name)s” (%(prefix)s…).")
        % {"who": who, "name": data.get("name", "?"), "prefix": data.get("prefix", "?")}
    ),
    "apikey.revoked": lambda who, data: (
        _("%(who)s revoked the API key “%(name)s” (%(prefix)s…).")
        % {"who": who, "name": data.get("name", "?"), "prefix": data.get("prefix", "?")}
    ),
    "billing.plan_changed": lambda who, data: (
        _("%(who)s changed the plan from %(from)s to %(to)s.")
        % {"who": who, "from": _plan(data.get("from")), "to": _plan(data.get("to"))}
    ),
    "billing.plan_change_scheduled": lambda who, data: (
        _("%(who)s scheduled a move to the %(to)s plan at the end of the period.")
        % {"who": who, "to": _plan(data.get("to"))}
        if data.get("to")
        else _("%(who)s called off the scheduled plan change.") % {"who": who}
    ),
    "billing.status_changed": lambda who, data: (
        _("%(who)s set the subscription's status from %(from)s to %(to)s.")
        % {"who": who, "from": _status(data.get("from")), "to": _status(data.get("to"))}
    ),
    "billing.grace_started": lambda who, data: (
        _("%(who)s started a grace period after a failed payment.") % {"who": who}
    ),
    "billing.grace_ended": lambda who, data: _("%(who)s ended the grace period.") % {"who": who},
    "billing.account_edited": lambda who, data: (
        _("%(who)s edited the billing account (%(fields)s).")
        % {"who": who, "fields": ", ".join(sorted(data.get("changes", {}))) or "-"}
    ),
    "billing.cancel_requested": lambda who, data: (
        _("%(who)s cancelled the subscription at the end of the period.") % {"who": who}
    ),
    "team.closed": lambda who, data: _("%(who)s closed the team.") % {"who": who},
    "team.ownership_transferred": lambda who, data: (
        _("%(who)s handed the team's ownership to %(user)s.")
        % {"who": who, "user": data.get("to", "?")}
    ),
    "account.deleted": lambda who, data: _("%(who)s deleted their account.") % {"who": who},
    "data_export.requested": lambda who, data: (
        _("%(who)s asked for a copy of their data.") % {"who": who}
    ),
    "data_export.downloaded": lambda who, data: (
        _("%(who)s downloaded a copy of their data.") % {"who": who}
    ),
    "provider_key.added": lambda who, data: (
        _("%(who)s added the team's %(provider)s key.")
        % {"who": who, "provider": data.get("provider", "?")}
    ),
    "provider_key.replaced": lambda who, data: (
        _("%(who)s replaced the team's %(provider)s key.")
        % {"who": who, "provider": data.get("provider", "?")}
    ),
    "provider_key.removed": lambda who, data: (
        _("%(who)s removed the team's %(provider)s key.")
        % {"who": who, "provider": data.get("provider", "?")}
    ),
}


def activity_actor(entry: AuditEntry) -> str:
    """Who acted, in words: the address, "A deleted account", Stripe (a webhook's change) or
    the system."""
    if entry.actor_email == DELETED_ACTOR:
        return _("A deleted account")
    if entry.actor_email:
        return entry.actor_email
    if isinstance(entry.data, dict) and entry.data.get("event_id"):
        return "Stripe"
    return _("The system")


def activity_sentence(entry: AuditEntry) -> str:
    who = activity_actor(entry)
    sentence = _SENTENCES.get(entry.action)
    data = entry.data if isinstance(entry.data, dict) else {}
    if sentence is None:
        return _("%(who)s did something (%(action)s).") % {"who": who, "action": entry.action}
    return sentence(who, data)

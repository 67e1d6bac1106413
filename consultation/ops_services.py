"""Staff actions on provider health, audited.

They live here, above the apps, because an audit entry is an accounts write and `ops` knows
no domain app (pyproject's import-linter contracts): the breaker changes state in ops, and
this module records who did it."""

from django.db import transaction

from accounts.models import User
from accounts.services import audit_record
from ops.breaker import breaker_force_open, breaker_reset

CIRCUIT_ACTIONS = ("reset", "open")


@transaction.atomic
def circuit_reset(*, actor: User, provider: str, model: str) -> None:
    """Close (provider, model)'s breaker by hand."""
    breaker_reset(provider=provider, model=model)
    audit_record(actor=actor, action="circuit.reset", data={"provider": provider, "model": model})


@transaction.atomic
def circuit_force_open(*, actor: User, provider: str, model: str) -> None:
    """Open (provider, model)'s breaker for one cool-down: calls to it fail at once."""
    breaker_force_open(provider=provider, model=model)
    audit_record(
        actor=actor, action="circuit.force_open", data={"provider": provider, "model": model}
    )

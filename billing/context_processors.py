from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.middleware import request_team
from accounts.models import User
from billing import stripe as stripe_client
from billing.limits import account_for_team, default_plan
from billing.models import SubscriptionStatus
from billing.offers import can_manage_billing


def billing_alert(request: HttpRequest) -> dict[str, Any]:
    """After a failed payment, every page of the team says so (base.html's grace banner)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    team = request_team(request)
    account = account_for_team(team=team) if team is not None else None
    if (
        team is None
        or account is None
        or account.status != SubscriptionStatus.PAST_DUE
        or account.grace_until is None
    ):
        return {}
    return {
        "billing_alert": {
            # The plan paid for (after the grace period the team is on the default plan).
            "plan": account.plan or default_plan(),
            "grace_until": account.grace_until,
            "grace_over": account.grace_until <= timezone.now(),
            "can_manage": bool(
                stripe_client.billing_configured()
                and account.stripe_customer_id
                and can_manage_billing(team=team, user=user)
            ),
        }
    }

"""What billing reads of Stripe's objects, as they arrive in webhooks or from the API: plain
parsing, no database. Shapes of API 2025-03-31 ("basil") and later, where a subscription's
period is on its items and an invoice names its subscription under `parent`, with the older
top-level fields as a fallback."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

StripeObject = Mapping[str, Any]


def timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def object_id(value: Any) -> str:
    """An id field, expanded (an object with an id) or not."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


@dataclass(frozen=True)
class Subscription:
    """What billing reads of a Stripe subscription (API 2025-03-31 and later keep the period
    on the items; older versions on the subscription itself)."""

    id: str
    customer: str
    status: str
    price_id: str
    period_start: datetime | None
    period_end: datetime | None
    cancel_at: datetime | None
    team_id: str

    @classmethod
    def parse(cls, data: StripeObject) -> "Subscription":
        items = (data.get("items") or {}).get("data") or []
        item = items[0] if items else {}
        price = item.get("price") or item.get("plan") or {}
        cancel_at = timestamp(data.get("cancel_at"))
        period_end = timestamp(item.get("current_period_end") or data.get("current_period_end"))
        if cancel_at is None and data.get("cancel_at_period_end"):
            cancel_at = period_end
        return cls(
            id=str(data.get("id") or ""),
            customer=object_id(data.get("customer")),
            status=str(data.get("status") or ""),
            price_id=object_id(price),
            period_start=timestamp(
                item.get("current_period_start") or data.get("current_period_start")
            ),
            period_end=period_end,
            cancel_at=cancel_at,
            team_id=str((data.get("metadata") or {}).get("team_id") or ""),
        )


def invoice_subscription(invoice: StripeObject) -> tuple[str, str]:
    """An invoice's subscription id and the team id in its metadata (API 2025-03-31 and
    later: under `parent.subscription_details`; older: top-level)."""
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    if not details:
        details = {
            "subscription": invoice.get("subscription"),
            "metadata": (invoice.get("subscription_details") or {}).get("metadata"),
        }
    return object_id(details.get("subscription")), str(
        (details.get("metadata") or {}).get("team_id") or ""
    )

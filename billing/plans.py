"""The plans the product starts with (Free, Pro, Team), seeded by billing's data migration and,
in the test database (built without migrations), by the test suite's post_migrate hook.

Staff edit them in admin afterwards; seeding only creates the plans that are missing, so it
never overwrites an edit. The seeded descriptions are in the translation catalogue: the
pricing page translates a description it finds there, and shows a staff edit as written.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from billing.models import Plan

PLANS: list[dict[str, Any]] = [
    {
        "slug": "free",
        "name": "Free",
        "description": gettext_noop("Try the parliament: small panels, standard models."),
        "price_usd": Decimal("0"),
        "is_default": True,
        "sort_order": 0,
        "debates_per_month": 20,
        "tokens_per_month": 2_000_000,
        "cost_per_month_usd": Decimal("5"),
        "max_seats": 5,
        "max_rounds": 3,
        "allowed_tiers": ["standard"],
        "api_requests_per_minute": 30,
        "concurrent_debates": 1,
        "exports_enabled": True,
        "max_team_members": 3,
        "max_context_documents": 3,
        "max_context_document_bytes": 1_000_000,
    },
    {
        "slug": "pro",
        "name": "Pro",
        "description": gettext_noop("Full panels, every model, more debates at once."),
        "price_usd": Decimal("20"),
        "sort_order": 10,
        "debates_per_month": 500,
        "tokens_per_month": 50_000_000,
        "cost_per_month_usd": Decimal("150"),
        "max_seats": 8,
        "max_rounds": 5,
        "allowed_tiers": ["standard", "advanced"],
        "api_requests_per_minute": 120,
        "concurrent_debates": 3,
        "exports_enabled": True,
        "max_team_members": 5,
        "max_context_documents": 10,
        "max_context_document_bytes": 5_000_000,
    },
    {
        "slug": "team",
        "name": "Team",
        "description": gettext_noop("For organisations: many members, high limits, heavy API use."),
        "price_usd": Decimal("60"),
        "sort_order": 20,
        "debates_per_month": 3000,
        "tokens_per_month": 300_000_000,
        "cost_per_month_usd": Decimal("900"),
        "max_seats": 8,
        "max_rounds": 5,
        "allowed_tiers": ["standard", "advanced"],
        "api_requests_per_minute": 600,
        "concurrent_debates": 10,
        "exports_enabled": True,
        "max_team_members": 50,
        "max_context_documents": 10,
        "max_context_document_bytes": 5_000_000,
    },
]


def plans_seed(*, model: "type[Plan] | None" = None, using: str = "default") -> int:
    """Create the missing plans; returns how many were created. `model` is the historical
    Plan when the data migration calls this."""
    if model is None:
        from billing.models import Plan  # late: the migration imports this module

        model = Plan
    manager = model._default_manager.db_manager(using)
    present = set(manager.values_list("slug", flat=True))
    # A historical Plan (an early migration's) lacks the fields added after it: those are
    # left to their defaults here and set by the migration that adds them.
    fields = {field.name for field in model._meta.get_fields()}
    missing = [
        model(**{name: value for name, value in plan.items() if name in fields})
        for plan in PLANS
        if plan["slug"] not in present
    ]
    manager.bulk_create(missing)
    return len(missing)

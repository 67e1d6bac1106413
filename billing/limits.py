"""What a team may do now: the one place that answers "may this team do this?".

A team's limits come from its plan (`plan_for_team`): the new-debate form and page, the
estimate panel, the creation service and the API all read them from here. billing never
imports debates, so limits speak in plain values: counts, lengths and tier values.

Monthly quotas (debates, tokens, model cost) are counted in the team's billing period: its
Stripe subscription's period when it has one, else the calendar month (UTC).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Invitation, Membership, Team
from billing.models import (
    MAX_CONTEXT_DOCUMENT_BYTES,
    MAX_CONTEXT_DOCUMENTS,
    MAX_ROUNDS,
    MAX_SEATS,
    MIN_ROUNDS,
    MIN_SEATS,
    BillingAccount,
    Plan,
    QuotaReservation,
    ReservationStatus,
    SubscriptionStatus,
)
from billing.ratelimits import RateDecision
from consultation.exceptions import PlanRestriction, QuotaExceeded, RateLimited

__all__ = [
    "MAX_CONTEXT_DOCUMENTS",
    "MAX_CONTEXT_DOCUMENT_BYTES",
    "MAX_QUESTION",
    "MAX_ROUNDS",
    "MAX_SEATS",
    "MIN_QUESTION",
    "MIN_ROUNDS",
    "MIN_SEATS",
    "DebateLimits",
    "Period",
    "QuotaStatus",
    "RatePolicy",
    "context_documents_check",
    "debate_limits_for_team",
    "debate_shape_check",
    "exports_check",
    "period_for",
    "plan_for_team",
    "quota_check",
    "quota_status",
    "rate_limited",
    "rate_policy",
    "team_members_check",
]

MIN_QUESTION, MAX_QUESTION = 10, 5000


def default_plan() -> Plan:
    """The plan of a team without a subscription (Free)."""
    plan = Plan.objects.filter(is_default=True).first()
    if plan is None:  # staff removed the default flag: the cheapest plan stands in
        plan = Plan.objects.order_by("price_usd", "sort_order").first()
    if plan is None:
        # No plan at all (an empty table): a Plan with the engine's bounds, never saved.
        return Plan(slug="free", name="Free", is_default=True)
    return plan


def account_for_team(*, team: Team) -> BillingAccount | None:
    return BillingAccount.objects.select_related("plan", "scheduled_plan").filter(team=team).first()


def effective_plan(account: BillingAccount | None, *, now: datetime | None = None) -> Plan:
    """The plan in force: a downgrade scheduled for the period's end applies from then on, and
    after a failed payment the plan holds until the grace period ends (then the default)."""
    now = now or timezone.now()
    if account is None:
        return default_plan()
    if (
        account.status == SubscriptionStatus.PAST_DUE
        and account.grace_until is not None
        and account.grace_until <= now
    ):
        return default_plan()
    if account.scheduled_plan is not None and account.scheduled_at and account.scheduled_at <= now:
        return account.scheduled_plan
    return account.plan or default_plan()


def plan_for_team(*, team: Team, now: datetime | None = None) -> Plan:
    return effective_plan(account_for_team(team=team), now=now)


# --- Periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def _calendar_month(now: datetime) -> Period:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        return Period(start=start, end=start.replace(year=start.year + 1, month=1))
    return Period(start=start, end=start.replace(month=start.month + 1))


def period_for(account: BillingAccount | None, *, now: datetime | None = None) -> Period:
    """The quota period `now` falls in: the subscription's, else the calendar month (UTC)."""
    now = now or timezone.now()
    if (
        account is not None
        and account.current_period_start is not None
        and account.current_period_end is not None
        and account.current_period_start <= now < account.current_period_end
    ):
        return Period(start=account.current_period_start, end=account.current_period_end)
    return _calendar_month(now)


# --- The shape of a debate ---------------------------------------------------------------------


@dataclass(frozen=True)
class DebateLimits:
    """The limits that apply to a team's next debate, and the plan they come from."""

    min_seats: int = MIN_SEATS
    max_seats: int = MAX_SEATS
    min_rounds: int = MIN_ROUNDS
    max_rounds: int = MAX_ROUNDS
    min_question: int = MIN_QUESTION
    max_question: int = MAX_QUESTION
    allowed_tiers: tuple[str, ...] = ()
    concurrent_debates: int = 1
    exports_enabled: bool = True
    max_context_documents: int = MAX_CONTEXT_DOCUMENTS
    max_context_document_bytes: int = MAX_CONTEXT_DOCUMENT_BYTES
    source: str = "engine"
    plan_name: str = ""
    plan_slug: str = ""

    @property
    def round_choices(self) -> list[int]:
        return list(range(self.min_rounds, self.max_rounds + 1))

    def allows_tier(self, tier: str) -> bool:
        """An empty tier list allows every tier."""
        return not self.allowed_tiers or tier in self.allowed_tiers


def limits_of(plan: Plan) -> DebateLimits:
    return DebateLimits(
        max_seats=max(MIN_SEATS, min(plan.max_seats, MAX_SEATS)),
        max_rounds=max(MIN_ROUNDS, min(plan.max_rounds, MAX_ROUNDS)),
        allowed_tiers=tuple(plan.allowed_tiers or ()),
        concurrent_debates=max(1, plan.concurrent_debates),
        exports_enabled=plan.exports_enabled,
        max_context_documents=min(plan.max_context_documents, MAX_CONTEXT_DOCUMENTS),
        max_context_document_bytes=min(plan.max_context_document_bytes, MAX_CONTEXT_DOCUMENT_BYTES),
        source="plan",
        plan_name=plan.name,
        plan_slug=plan.slug,
    )


def debate_limits_for_team(*, team: Team) -> DebateLimits:
    """The limits of `team`'s next debate, from its plan."""
    return limits_of(plan_for_team(team=team))


def upgrade_url() -> str:
    return reverse("billing:pricing")


def _first_plan_allowing(plan: Plan, allows: Callable[[Plan], bool]) -> Plan | None:
    """The cheapest public plan other than `plan` that passes `allows`."""
    candidates = Plan.objects.filter(is_public=True).exclude(pk=plan.pk)
    return next((c for c in candidates.order_by("price_usd", "sort_order") if allows(c)), None)


def _refuse(plan: Plan, sentence: str, allows: Callable[[Plan], bool]) -> PlanRestriction:
    better = _first_plan_allowing(plan, allows)
    if better is not None:
        sentence = "{} {}".format(
            sentence, _("The %(plan)s plan allows it.") % {"plan": better.name}
        )
    return PlanRestriction(
        sentence,
        plan=plan.slug,
        required_plan=better.slug if better is not None else None,
        upgrade_url=upgrade_url(),
    )


def debate_shape_check(
    *, team: Team, seats: int, rounds: int, tiers: Iterable[str]
) -> DebateLimits:
    """Refuse (PlanRestriction, 403) a debate whose seats, rounds or model tiers the team's
    plan does not allow; return the limits that applied."""
    plan = plan_for_team(team=team)
    limits = limits_of(plan)
    if seats > limits.max_seats:
        raise _refuse(
            plan,
            _("The %(plan)s plan allows up to %(max)d seats per debate.")
            % {"plan": plan.name, "max": limits.max_seats},
            lambda other: other.max_seats >= seats,
        )
    if rounds > limits.max_rounds:
        raise _refuse(
            plan,
            _("The %(plan)s plan allows up to %(max)d rebuttal rounds.")
            % {"plan": plan.name, "max": limits.max_rounds},
            lambda other: other.max_rounds >= rounds,
        )
    refused = sorted({tier for tier in tiers if not limits.allows_tier(tier)})
    if refused:
        raise _refuse(
            plan,
            _("The %(plan)s plan does not include %(tiers)s models.")
            % {"plan": plan.name, "tiers": ", ".join(refused)},
            lambda other: not other.allowed_tiers or set(refused) <= set(other.allowed_tiers),
        )
    return limits


def context_documents_check(*, team: Team, sizes: Sequence[int]) -> None:
    """Refuse (PlanRestriction, 403) more context documents, or a larger one, than the team's
    plan allows for one debate; `sizes` are the files' sizes in bytes."""
    plan = plan_for_team(team=team)
    limits = limits_of(plan)
    count = len(sizes)
    if count > limits.max_context_documents:
        most = limits.max_context_documents
        raise _refuse(
            plan,
            ngettext(
                "The %(plan)s plan allows %(max)d context document per debate.",
                "The %(plan)s plan allows %(max)d context documents per debate.",
                most,
            )
            % {"plan": plan.name, "max": most},
            lambda other: other.max_context_documents >= count,
        )
    largest = max(sizes, default=0)
    if largest > limits.max_context_document_bytes:
        raise _refuse(
            plan,
            _("The %(plan)s plan allows context documents of up to %(size)s each.")
            % {"plan": plan.name, "size": filesizeformat(limits.max_context_document_bytes)},
            lambda other: other.max_context_document_bytes >= largest,
        )


def exports_check(*, team: Team) -> None:
    """Refuse (PlanRestriction) an export when the team's plan has exports off."""
    plan = plan_for_team(team=team)
    if not plan.exports_enabled:
        raise _refuse(
            plan,
            _("The %(plan)s plan does not include exports.") % {"plan": plan.name},
            lambda other: other.exports_enabled,
        )


def team_members_check(*, team: Team, joining: int = 1, count_invitations: bool = True) -> None:
    """Refuse (PlanRestriction) `joining` more people in `team` beyond its plan's members:
    members now plus open invitations (each holds a place), when inviting; members alone,
    when an invitation is accepted. accounts calls this through settings.TEAM_SIZE_CHECK
    (accounts sits below billing and cannot import it)."""
    plan = plan_for_team(team=team)
    if plan.max_team_members is None:
        return
    taken = Membership.objects.filter(team=team).count()
    if count_invitations:
        now = timezone.now()
        taken += Invitation.objects.filter(
            team=team, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).count()
    if taken + joining > plan.max_team_members:
        limit = plan.max_team_members
        raise _refuse(
            plan,
            _("The %(plan)s plan allows %(limit)d members in a team, invitations included.")
            % {"plan": plan.name, "limit": limit},
            lambda other: other.max_team_members is None or other.max_team_members > limit,
        )


# --- Monthly quotas ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """One quota of the period: used (settled plus reserved) against its limit (None:
    unlimited)."""

    used: int | Decimal
    limit: int | Decimal | None

    @property
    def remaining(self) -> int | Decimal | None:
        return None if self.limit is None else max(self.limit - self.used, 0)

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * float(self.used) / float(self.limit)))

    def admits(self, amount: int | Decimal) -> bool:
        return self.limit is None or self.used + amount <= self.limit


@dataclass(frozen=True)
class QuotaStatus:
    plan: Plan
    period: Period
    debates: Meter
    tokens: Meter
    cost_usd: Meter


def _period_usage(team: Team, period: Period) -> tuple[int, int, Decimal]:
    """Debates, tokens and cost counted in the period. Open reservations count their
    estimate, settled ones their real usage; a released one (a cancelled debate, or one that
    failed before any output) is not a debate, but the tokens it spent still count."""
    totals = QuotaReservation.objects.filter(team=team, period_start=period.start).aggregate(
        debates=Count("id", filter=~Q(status=ReservationStatus.RELEASED)),
        tokens=Sum("tokens"),
        cost=Sum("cost_usd"),
    )
    return int(totals["debates"]), int(totals["tokens"] or 0), Decimal(totals["cost"] or 0)


def quota_status(*, team: Team, now: datetime | None = None) -> QuotaStatus:
    """This period's debates, tokens and cost against the plan's monthly limits."""
    account = account_for_team(team=team)
    plan = effective_plan(account, now=now)
    period = period_for(account, now=now)
    debates, tokens, cost = _period_usage(team, period)
    return QuotaStatus(
        plan=plan,
        period=period,
        debates=Meter(used=debates, limit=plan.debates_per_month),
        tokens=Meter(used=tokens, limit=plan.tokens_per_month),
        cost_usd=Meter(used=cost, limit=plan.cost_per_month_usd),
    )


def quota_check(status: QuotaStatus, *, tokens: int = 0, cost_usd: Decimal = Decimal(0)) -> None:
    """Refuse (QuotaExceeded, 429) one more debate of `tokens` and `cost_usd` (estimates)
    when it does not fit in what remains of the period."""
    plan, reset_at = status.plan, status.period.end
    if not status.debates.admits(1):
        sentence = _(
            "You reached %(used)d of %(limit)d debates this month on the %(plan)s plan."
        ) % {"used": status.debates.used, "limit": status.debates.limit, "plan": plan.name}
        raise _exceeded(sentence, "debates", status.debates, reset_at)
    if not status.tokens.admits(tokens):
        sentence = _(
            "This debate needs about %(need)s tokens, and %(left)s of the %(plan)s plan's "
            "%(limit)s tokens are left this month."
        ) % {
            "need": f"{tokens:,}",
            "left": f"{status.tokens.remaining:,}",
            "plan": plan.name,
            "limit": f"{status.tokens.limit:,}",
        }
        raise _exceeded(sentence, "tokens", status.tokens, reset_at)
    if not status.cost_usd.admits(cost_usd):
        sentence = _(
            "This debate would cost about $%(need)s, and $%(left)s of the %(plan)s plan's "
            "$%(limit)s are left this month."
        ) % {
            "need": f"{cost_usd:.2f}",
            "left": f"{status.cost_usd.remaining:.2f}",
            "plan": plan.name,
            "limit": f"{status.cost_usd.limit:.2f}",
        }
        raise _exceeded(sentence, "cost_usd", status.cost_usd, reset_at)


def _exceeded(sentence: str, quota: str, meter: Meter, reset_at: datetime) -> QuotaExceeded:
    return QuotaExceeded(
        sentence,
        quota=quota,
        limit=_plain(meter.limit),
        used=_plain(meter.used),
        reset_at=reset_at.isoformat(),
        upgrade_url=upgrade_url(),
    )


def _plain(value: int | Decimal | None) -> int | str | None:
    """JSON-friendly: Decimals as strings (money keeps its digits)."""
    return str(value) if isinstance(value, Decimal) else value


# --- Requests per minute -----------------------------------------------------------------------


@dataclass(frozen=True)
class RatePolicy:
    """The rate that applies to one caller, and the plan it comes from."""

    per_minute: int
    plan_slug: str
    plan_name: str


# A team's rate is read on every API request: it is kept in the cache this long, so a plan
# change (an upgrade, a downgrade at the period's end) applies within these seconds.
RATE_POLICY_CACHE_SECONDS = 10


def rate_policy(*, team: Team | None, own_limit: int | None = None) -> RatePolicy:
    """Requests per minute for a caller of `team` (None: an anonymous visitor, who gets the
    default plan's rate); a key's own limit applies when it is tighter than the plan's."""
    cache_key = f"billing:rate-policy:{team.pk if team is not None else 'anonymous'}"
    cached: tuple[int, str, str] | None = cache.get(cache_key)
    if cached is None:
        plan = plan_for_team(team=team) if team is not None else default_plan()
        cached = (plan.api_requests_per_minute, plan.slug, plan.name)
        cache.set(cache_key, cached, RATE_POLICY_CACHE_SECONDS)
    per_minute, slug, name = cached
    if own_limit is not None:
        per_minute = min(per_minute, own_limit)
    return RatePolicy(per_minute=per_minute, plan_slug=slug, plan_name=name)


def rate_limited(policy: RatePolicy, decision: RateDecision) -> RateLimited:
    """The 429 of a request over its limit: the quota body shape and a sentence to show."""
    made = ngettext(
        "You made %(used)d request this minute, the limit of the %(plan)s plan.",
        "You made %(used)d requests this minute, the limit of the %(plan)s plan.",
        decision.limit,
    ) % {"used": decision.limit, "plan": policy.plan_name}
    sentence = f"{made} {decision.try_again()}"
    return RateLimited(
        sentence,
        limit=decision.limit,
        used=decision.limit,
        reset_at=decision.reset_at.isoformat(),
        retry_after=decision.reset_in,
        plan=policy.plan_slug,
        upgrade_url=upgrade_url(),
    )

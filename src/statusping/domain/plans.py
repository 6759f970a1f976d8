"""The plans of PRODUCT.md §6, as data: pages, limits and checks all read them from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class PlanKey(StrEnum):
    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"


@dataclass(frozen=True, slots=True)
class Plan:
    key: PlanKey
    title: str
    price_usd_month: int
    max_monitors: int | None  # None: unlimited
    min_interval_seconds: int
    channels: tuple[str, ...]
    history_days: int
    status_page: str
    ssl_expiry: bool
    team_members: int | None  # None: unlimited
    api_keys: bool
    maintenance_windows: bool
    branding: bool = False  # logo, brand colour, hiding "Powered by"
    custom_domain: bool = False
    custom_css: bool = False  # the status page's own stylesheet (domain/custom_css.py)
    private_pages: bool = False  # a status page behind a password


PLANS: dict[PlanKey, Plan] = {
    PlanKey.FREE: Plan(
        key=PlanKey.FREE,
        title="Free",
        price_usd_month=0,
        max_monitors=5,
        min_interval_seconds=300,
        channels=("email",),
        history_days=1,
        status_page="StatusPing-branded",
        ssl_expiry=False,
        team_members=1,
        api_keys=False,
        maintenance_windows=False,
    ),
    PlanKey.PRO: Plan(
        key=PlanKey.PRO,
        title="Pro",
        price_usd_month=14,
        max_monitors=50,
        min_interval_seconds=60,
        channels=("email", "webhook"),
        history_days=90,
        status_page="Custom branding",
        ssl_expiry=True,
        team_members=1,
        api_keys=False,
        maintenance_windows=False,
        branding=True,
    ),
    PlanKey.BUSINESS: Plan(
        key=PlanKey.BUSINESS,
        title="Business",
        price_usd_month=39,
        max_monitors=None,
        min_interval_seconds=30,
        channels=("email", "webhook", "apprise"),
        history_days=365,
        status_page="Custom branding and custom domain",
        ssl_expiry=True,
        team_members=None,
        api_keys=True,
        maintenance_windows=True,
        branding=True,
        custom_domain=True,
        custom_css=True,
        private_pages=True,
    ),
}

DEFAULT_PLAN = PlanKey.FREE
# Self-hosted installs get every feature; history is kept as long as the largest plan keeps it.
SELFHOSTED_HISTORY_DAYS = 365
# After a downgrade, history beyond the new plan's window is hidden but kept this long (PRODUCT.md §6).
HISTORY_KEPT_AFTER_DOWNGRADE = timedelta(days=30)


def get_plan(key: str) -> Plan:
    try:
        return PLANS[PlanKey(key)]
    except ValueError:
        choices = ", ".join(p.value for p in PlanKey)
        raise ValueError(f"unknown plan {key!r}; choose one of {choices}") from None


def lifting_plan(current: Plan, allows: Callable[[Plan], bool]) -> Plan | None:
    """The cheapest dearer plan that allows what ``current`` does not, if any."""
    dearer = sorted(
        (p for p in PLANS.values() if p.price_usd_month > current.price_usd_month),
        key=lambda p: p.price_usd_month,
    )
    return next((p for p in dearer if allows(p)), None)


def upgrade_hint(current: Plan, allows: Callable[[Plan], bool]) -> str:
    """The end of every plan limit's message: "; the Pro plan lifts it", or nothing."""
    plan = lifting_plan(current, allows)
    return f"; the {plan.title} plan lifts it" if plan else ""


def interval_hint(current: Plan) -> str:
    """The end of a too-short interval's message, naming the plan that lifts the minimum."""
    plan = lifting_plan(current, lambda p: p.min_interval_seconds < current.min_interval_seconds)
    return f"; the {plan.title} plan allows {plan.min_interval_seconds} s" if plan else ""

"""The plans of PRODUCT.md §6, as data: pages, limits and checks all read them from here."""

from __future__ import annotations

from dataclasses import dataclass
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
    ),
}

DEFAULT_PLAN = PlanKey.FREE
# Self-hosted installs get every feature; history is kept as long as the largest plan keeps it.
SELFHOSTED_HISTORY_DAYS = 365


def get_plan(key: str) -> Plan:
    try:
        return PLANS[PlanKey(key)]
    except ValueError:
        choices = ", ".join(p.value for p in PlanKey)
        raise ValueError(f"unknown plan {key!r}; choose one of {choices}") from None

from __future__ import annotations

import pytest

from statusping.domain.plans import PLANS, PlanKey, get_plan


def test_plans_match_the_price_list() -> None:
    assert [(p.key, p.price_usd_month) for p in PLANS.values()] == [
        (PlanKey.FREE, 0),
        (PlanKey.PRO, 14),
        (PlanKey.BUSINESS, 39),
    ]
    assert PLANS[PlanKey.FREE].max_monitors == 5
    assert PLANS[PlanKey.BUSINESS].max_monitors is None
    assert [p.min_interval_seconds for p in PLANS.values()] == [300, 60, 30]
    assert [p.history_days for p in PLANS.values()] == [1, 90, 365]


def test_each_plan_allows_at_least_what_the_one_below_allows() -> None:
    free, pro, business = PLANS.values()
    assert set(free.channels) < set(pro.channels) < set(business.channels)


def test_an_unknown_plan_names_the_choices() -> None:
    with pytest.raises(ValueError, match="free, pro, business"):
        get_plan("platinum")

"""Organization settings: `PATCH /api/v1/organization` (owner or admin; not in PRODUCT.md, see
docs/decisions.md), and `PUT /api/v1/organization/active-monitors`, the choice of monitors to keep
running after a downgrade."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from statusping.services import organizations as service
from statusping.services import plans, two_factor
from statusping.web.api.types import Input
from statusping.web.api.v1.schemas import OrganizationOut
from statusping.web.deps import Db, SettingsDep, Writer, now
from statusping.web.policy import policy_of

router = APIRouter(tags=["account"])


class OrganizationUpdate(Input):
    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone name (Europe/Berlin); new maintenance windows default to it",
    )
    require_two_factor: bool | None = Field(
        default=None,
        description=(
            "Owner only, with two-factor sign-in on themselves: members without it must set it up "
            "before using a session (API keys are unaffected)."
        ),
    )


@router.patch("/organization")
async def update_organization(body: OrganizationUpdate, account: Writer, db: Db) -> OrganizationOut:
    """Change only the fields sent."""
    org = account.organization
    if body.require_two_factor is not None:
        org = await two_factor.set_requirement(db, account, body.require_two_factor)
    if body.timezone is not None:
        org = await service.set_timezone(db, org, body.timezone)
    return OrganizationOut.of(org)


class ActiveMonitorsIn(Input):
    model_config = ConfigDict(extra="forbid")

    monitor_ids: list[uuid.UUID] = Field(
        max_length=10_000,
        description=(
            "The monitors to keep active, at most the plan's limit. Monitors the plan paused that are "
            "listed resume; active ones left out are paused by the plan (an upgrade resumes them). "
            "Monitors you paused yourself cannot be listed."
        ),
    )


class ActiveMonitorsOut(BaseModel):
    resumed: list[str]
    paused: list[str]


@router.put("/organization/active-monitors")
async def keep_active_monitors(
    body: ActiveMonitorsIn, account: Writer, db: Db, settings: SettingsDep
) -> ActiveMonitorsOut:
    """After a downgrade, choose which monitors keep running (the page is /settings/plan/keep)."""
    plan = policy_of(settings).plan_of(account.organization)
    done = await plans.keep_active(db, account.organization, body.monitor_ids, plan, now())
    return ActiveMonitorsOut(
        resumed=[str(m.id) for m in done.resumed], paused=[str(m.id) for m in done.paused]
    )

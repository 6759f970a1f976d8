"""Organization settings: `PATCH /api/v1/organization` (owner or admin; not in PRODUCT.md, see
docs/decisions.md)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from statusping.services import organizations as service
from statusping.services import two_factor
from statusping.web.api.types import Input
from statusping.web.api.v1.schemas import OrganizationOut
from statusping.web.deps import Db, Writer

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

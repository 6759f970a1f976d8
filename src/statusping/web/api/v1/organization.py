"""Organization settings: `PATCH /api/v1/organization` (owner or admin; not in PRODUCT.md, see
docs/decisions.md)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from statusping.services import organizations as service
from statusping.web.api.types import Input
from statusping.web.api.v1.schemas import OrganizationOut
from statusping.web.deps import Db, Writer

router = APIRouter(tags=["account"])


class OrganizationUpdate(Input):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(
        max_length=64, description="IANA zone name (Europe/Berlin); new maintenance windows default to it"
    )


@router.patch("/organization")
async def update_organization(body: OrganizationUpdate, account: Writer, db: Db) -> OrganizationOut:
    return OrganizationOut.of(await service.set_timezone(db, account.organization, body.timezone))

from __future__ import annotations

from fastapi import APIRouter

from statusping.web.api.v1.schemas import MeOut
from statusping.web.deps import CurrentAccount

router = APIRouter(tags=["account"])


@router.get("/me", response_model=MeOut)
async def me(account: CurrentAccount) -> MeOut:
    return MeOut.of(account)

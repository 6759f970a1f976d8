"""API keys (PRODUCT.md §4): create (the key is shown once), list, revoke."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from statusping.domain.errors import Forbidden
from statusping.services import api_keys as service
from statusping.services.api_keys import NAME_MAX_LENGTH, Scope
from statusping.storage.models import ApiKey
from statusping.web.api.types import Input
from statusping.web.deps import CurrentAccount, Db, OptionalSession, SettingsDep, Writer, now
from statusping.web.policy import policy_of

router = APIRouter(prefix="/api-keys", tags=["api keys"])


class ApiKeyIn(Input):
    name: str = Field(max_length=NAME_MAX_LENGTH * 2, examples=["Grafana"])
    scope: Scope = Field(description="`read` may only GET; `read-write` may change things too")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="the visible part of the key: `sp_<prefix>_…`")
    scope: Scope
    created_at: datetime
    last_used_at: datetime | None = Field(description="recorded at most once a minute")

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=str(key.id),
            name=key.name,
            prefix=key.prefix,
            scope=Scope(key.scope),
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        )


class CreatedApiKeyOut(ApiKeyOut):
    key: str = Field(
        description="the key itself; shown only in this answer, store it now",
        examples=["sp_3f2a9c1b7d4e_Zx8bq2…"],
    )


@router.get("", response_model=list[ApiKeyOut])
async def list_keys(account: CurrentAccount, db: Db, settings: SettingsDep) -> list[ApiKeyOut]:
    service.check_plan(account.organization, policy_of(settings))
    return [ApiKeyOut.of(k) for k in await service.list_keys(db, account.organization)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedApiKeyOut)
async def create_key(
    body: ApiKeyIn, account: Writer, session: OptionalSession, db: Db, settings: SettingsDep
) -> CreatedApiKeyOut:
    """Create a key. Needs a signed-in session: an API key cannot mint further keys."""
    if session is None:
        raise Forbidden("API keys are created from a signed-in session, not with an API key")
    key, plaintext = await service.create(
        db,
        account,
        name=body.name,
        scope=body.scope,
        policy=policy_of(settings),
        secret_key=settings.resolved_secret_key,
        now=now(),
    )
    return CreatedApiKeyOut(**ApiKeyOut.of(key).model_dump(), key=plaintext)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: str, account: Writer, db: Db) -> Response:
    """Revoke a key: calls made with it are refused (401) from this moment."""
    await service.revoke(db, account.organization, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

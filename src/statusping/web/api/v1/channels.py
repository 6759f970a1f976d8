"""Alert channel API: CRUD and a test send (PRODUCT.md §4); plans gate the kinds (§6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from statusping.services import channel_tests, ports
from statusping.services import channels as service
from statusping.storage.models import Channel
from statusping.storage.repositories.channels import ChannelRepository
from statusping.web.api.types import Input
from statusping.web.api.v1.channel_deps import CurrentChannel
from statusping.web.deps import (
    ChannelKinds,
    ChannelSender,
    CurrentAccount,
    Db,
    EndTransaction,
    SettingsDep,
    Writer,
    now,
)
from statusping.web.policy import policy_of

router = APIRouter(prefix="/channels", tags=["channels"])

KindName = Literal["email", "webhook", "apprise"]


class ChannelCreate(Input):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    kind: KindName
    config: dict[str, Any]
    is_default: bool = False


class ChannelUpdate(Input):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    kind: KindName | None = None
    config: dict[str, Any] | None = None
    is_default: bool | None = None


class ChannelOut(BaseModel):
    id: str
    name: str
    kind: str
    config: dict[str, Any]
    is_default: bool
    # True while the organization's plan lacks this kind: kept, not sent to; an upgrade resumes it.
    suspended_by_plan: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, channel: Channel, kinds: ports.ChannelKinds) -> ChannelOut:
        return cls(
            id=str(channel.id),
            name=channel.name,
            kind=channel.kind,
            config=kinds.public(channel.kind, channel.config),
            is_default=channel.is_default,
            suspended_by_plan=channel.suspended_by_plan,
            created_at=channel.created_at,
            updated_at=channel.updated_at,
        )


class TestResult(BaseModel):
    delivery_id: str
    status: Literal["sent", "failed"]
    attempts: int
    last_error: str | None
    duration_ms: float


@router.get("")
async def list_channels(account: CurrentAccount, db: Db, kinds: ChannelKinds) -> list[ChannelOut]:
    return [ChannelOut.of(c, kinds) for c in await ChannelRepository(db).list_for(account.organization.id)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_channel(
    body: ChannelCreate, account: Writer, db: Db, settings: SettingsDep, kinds: ChannelKinds
) -> ChannelOut:
    channel = await service.create_channel(
        db,
        account.organization,
        name=body.name,
        kind=body.kind,
        config=body.config,
        is_default=body.is_default,
        kinds=kinds,
        policy=policy_of(settings),
        now=now(),
    )
    return ChannelOut.of(channel, kinds)


@router.get("/{channel_id}")
async def get_channel(channel: CurrentChannel, kinds: ChannelKinds) -> ChannelOut:
    return ChannelOut.of(channel, kinds)


@router.patch("/{channel_id}")
async def update_channel(
    body: ChannelUpdate,
    channel: CurrentChannel,
    account: Writer,
    db: Db,
    settings: SettingsDep,
    kinds: ChannelKinds,
) -> ChannelOut:
    changes = body.model_dump(exclude_unset=True)
    await service.update_channel(db, channel, changes, kinds=kinds, policy=policy_of(settings), now=now())
    return ChannelOut.of(channel, kinds)


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_channel(channel: CurrentChannel, account: Writer, db: Db) -> Response:
    await db.delete(channel)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{channel_id}/test")
async def test_channel(
    channel: CurrentChannel,
    account: Writer,
    db: Db,
    settings: SettingsDep,
    sender: ChannelSender,
    end_transaction: EndTransaction,
) -> TestResult:
    """Send a test message now and say how it went; it is logged in /notifications like any other."""
    delivery, sent = await channel_tests.send_test_message(
        db,
        account.organization,
        channel,
        sender=sender,
        end_transaction=end_transaction,
        policy=policy_of(settings),
        now=now(),
    )
    return TestResult(
        delivery_id=str(delivery.id),
        status="sent" if sent.ok else "failed",
        attempts=1,
        last_error=delivery.last_error,
        duration_ms=sent.duration_ms,
    )

"""Alert channel API: CRUD and a test send (PRODUCT.md §4); plans gate the kinds (§6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import clean_name
from statusping.notifications import registry
from statusping.notifications.dispatcher import send_now
from statusping.notifications.message import TEST_EVENT, build_message
from statusping.services import channels as service
from statusping.storage.models import Channel, Organization
from statusping.storage.repositories.channels import ChannelRepository
from statusping.storage.repositories.outbox import OutboxRepository, Outcome
from statusping.web.api.v1.channel_deps import CurrentChannel
from statusping.web.deps import CurrentAccount, Db, SettingsDep, Writer, now
from statusping.web.policy import policy_of

router = APIRouter(prefix="/channels", tags=["channels"])

KindName = Literal["email", "webhook", "apprise"]


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    kind: KindName
    config: dict[str, Any]
    is_default: bool = False


class ChannelUpdate(BaseModel):
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
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, channel: Channel) -> ChannelOut:
        return cls(
            id=str(channel.id),
            name=channel.name,
            kind=channel.kind,
            config=registry.public_config(channel.kind, channel.config),
            is_default=channel.is_default,
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
async def list_channels(account: CurrentAccount, db: Db) -> list[ChannelOut]:
    return [ChannelOut.of(c) for c in await ChannelRepository(db).list_for(account.organization.id)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_channel(body: ChannelCreate, account: Writer, db: Db, settings: SettingsDep) -> ChannelOut:
    policy = policy_of(settings)
    service.check_kind_allowed(policy, account.organization, body.kind)  # 403 before judging config
    config = registry.validate_config(body.kind, body.config, allow_private=policy.allow_private)
    channel = await service.create_channel(
        db,
        account.organization,
        name=body.name,
        kind=body.kind,
        config=config,
        is_default=body.is_default,
        policy=policy,
        now=now(),
    )
    return ChannelOut.of(channel)


@router.get("/{channel_id}")
async def get_channel(channel: CurrentChannel) -> ChannelOut:
    return ChannelOut.of(channel)


@router.patch("/{channel_id}")
async def update_channel(
    body: ChannelUpdate, channel: CurrentChannel, account: Writer, db: Db, settings: SettingsDep
) -> ChannelOut:
    if body.kind is not None and body.kind != channel.kind:
        raise InvalidInput("kind cannot be changed; create a new channel", field="kind")
    if body.name is not None:
        channel.name = clean_name(body.name)
    if body.config is not None:
        merged = registry.merge_config(channel.kind, channel.config, body.config)
        allow_private = policy_of(settings).allow_private
        channel.config = registry.validate_config(channel.kind, merged, allow_private=allow_private)
    if body.is_default is not None:
        channel.is_default = body.is_default
    channel.updated_at = now()
    await db.flush()
    return ChannelOut.of(channel)


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_channel(channel: CurrentChannel, account: Writer, db: Db) -> Response:
    await db.delete(channel)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{channel_id}/test")
async def test_channel(
    channel: CurrentChannel, account: Writer, db: Db, settings: SettingsDep, request: Request
) -> TestResult:
    """Send a test message now and say how it went; it is logged in /notifications like any other."""
    service.check_kind_allowed(policy_of(settings), account.organization, channel.kind)
    at = now()
    payload = test_payload(account.organization, channel, at)
    message = build_message(TEST_EVENT, payload, settings.base_url)
    state = request.app.state
    channels = registry.build_channels(
        state.mailer, state.http_client, smtp_configured=settings.smtp_configured
    )
    await db.commit()  # no transaction (and no SQLite write lock) held while a slow server answers
    attempt = await send_now(channels, channel.kind, channel.config, message)
    repo = OutboxRepository(db)
    _, (delivery,) = repo.add_event(
        organization_id=account.organization.id,
        monitor_id=None,
        kind=TEST_EVENT,
        payload=payload,
        channel_ids=[channel.id],
        now=at,
    )
    done = datetime.now(UTC)
    # A test is one try, reported now; it is not queued for retries.
    delivery.status = "sent" if attempt.ok else "failed"
    delivery.attempts = 1
    delivery.last_attempt_at = done
    delivery.last_error = None if attempt.ok else (attempt.error or "failed")[:500]
    delivery.duration_ms = attempt.duration_ms
    delivery.next_attempt_at = None
    delivery.sent_at = done if attempt.ok else None
    await db.flush()
    repo.add_attempt(
        delivery.id, Outcome(attempt.ok, attempt.error, attempt.permanent, attempt.duration_ms, done, None)
    )
    return TestResult(
        delivery_id=str(delivery.id),
        status="sent" if attempt.ok else "failed",
        attempts=1,
        last_error=delivery.last_error,
        duration_ms=attempt.duration_ms,
    )


def test_payload(org: Organization, channel: Channel, at: datetime) -> dict[str, Any]:
    return {
        "version": 1,
        "event": TEST_EVENT,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "monitor": None,
        "status": None,
        "cause": None,
        "channel": {"id": str(channel.id), "name": channel.name, "kind": channel.kind},
        "organization": {"id": str(org.id), "name": org.name},
    }

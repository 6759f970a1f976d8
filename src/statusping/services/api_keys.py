"""API keys (business plan; every organization when self-hosted).

A key is ``sp_<prefix>_<secret>``: the prefix is stored in clear so lists can show which key is
which, the whole key only as a keyed hash (like session tokens), so it is shown once, at creation.
A key acts as the member who created it, in that member's organization, narrowed by its scope.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.accounts import Role
from statusping.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from statusping.security import token_digest
from statusping.services.accounts import Account
from statusping.services.monitors import Policy
from statusping.storage.models import ApiKey, Organization
from statusping.storage.repositories.api_keys import ApiKeyRepository

KEY_PREFIX = "sp"
NAME_MAX_LENGTH = 100
MAX_KEYS_PER_ORGANIZATION = 100
# Last use is written at most this often per key, so a busy scraper does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEY_MAX_LENGTH = 200


class Scope(StrEnum):
    READ = "read"
    READ_WRITE = "read-write"


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who a presented key speaks for, and what it may do."""

    key: ApiKey
    account: Account

    @property
    def can_write(self) -> bool:
        return self.key.scope == Scope.READ_WRITE.value


def check_plan(org: Organization, policy: Policy) -> None:
    plan = policy.plan_of(org)
    if plan is not None and not plan.api_keys:
        raise Forbidden(
            f"API keys and /metrics are not included in the {plan.title} plan; the Business plan lifts it"
        )


def _digest(secret_key: str, key: str) -> str:
    return token_digest(secret_key, "api-key:" + key)


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("name must not be empty", field="name")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise InvalidInput(f"name must be at most {NAME_MAX_LENGTH} characters", field="name")
    return cleaned


async def create(
    db: AsyncSession,
    account: Account,
    *,
    name: str,
    scope: Scope,
    policy: Policy,
    secret_key: str,
    now: datetime,
) -> tuple[ApiKey, str]:
    """The stored key and the key itself, which is never available again."""
    check_plan(account.organization, policy)
    if account.membership.role == Role.VIEWER.value:
        raise Forbidden("viewers cannot create API keys")
    repo = ApiKeyRepository(db)
    if await repo.count(account.organization.id) >= MAX_KEYS_PER_ORGANIZATION:
        raise Conflict(
            f"an organization holds at most {MAX_KEYS_PER_ORGANIZATION} API keys; revoke one first"
        )
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organization_id=account.organization.id,
        created_by_user_id=account.user.id,
        name=_clean_name(name),
        prefix=prefix,
        key_hash=_digest(secret_key, plaintext),
        scope=scope.value,
        created_at=now,
    )
    repo.add(key)
    await db.flush()
    return key, plaintext


async def list_keys(db: AsyncSession, org: Organization) -> Sequence[ApiKey]:
    return await ApiKeyRepository(db).list(org.id)


async def revoke(db: AsyncSession, org: Organization, key_id: str) -> None:
    try:
        key = uuid.UUID(key_id)
    except ValueError:
        raise NotFound("API key not found") from None
    if not await ApiKeyRepository(db).delete(org.id, key):
        raise NotFound("API key not found")


def looks_like_key(value: str) -> bool:
    parts = value.split("_", 2)
    return len(value) <= KEY_MAX_LENGTH and len(parts) == 3 and parts[0] == KEY_PREFIX and all(parts)


async def holder_of(
    db: AsyncSession, presented: str, *, policy: Policy, secret_key: str, now: datetime
) -> KeyHolder | None:
    """The holder of a presented key, recording its use; None for an unknown or revoked key.

    A key whose organization's plan no longer includes API keys is refused (403 naming the plan),
    not forgotten: an upgrade makes it work again.
    """
    if not looks_like_key(presented):
        return None
    repo = ApiKeyRepository(db)
    found = await repo.holder(_digest(secret_key, presented))
    if found is None:
        return None
    key, user, membership, org = found
    check_plan(org, policy)
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        await repo.touch(key.id, now, now - LAST_USED_RESOLUTION)
    return KeyHolder(key=key, account=Account(user=user, membership=membership, organization=org))

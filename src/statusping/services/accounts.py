"""Signing up, signing in, sessions and password resets."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.accounts import (
    Role,
    check_password,
    clean_org_name,
    normalize_email,
    slug_candidates,
    slugify,
)
from statusping.domain.errors import Conflict, InvalidInput, NotFound
from statusping.domain.plans import DEFAULT_PLAN, PlanKey, get_plan
from statusping.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from statusping.services import rate_limits
from statusping.storage.models import (
    Membership,
    Organization,
    PasswordResetToken,
    StatusPage,
    User,
    UserSession,
)
from statusping.storage.repositories.accounts import AccountRepository

SESSION_LIFETIME = timedelta(days=30)
RESET_TOKEN_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Account:
    user: User
    membership: Membership
    organization: Organization


@dataclass(frozen=True, slots=True)
class Client:
    """Who is on the other end of a request, for rate limits and the session list."""

    ip: str | None
    user_agent: str | None


async def signup(db: AsyncSession, *, email: str, password: str, org_name: str) -> Account:
    email = normalize_email(email)
    check_password(password)
    name = clean_org_name(org_name)
    repo = AccountRepository(db)
    if await repo.email_taken(email):
        raise Conflict("an account with this email already exists")
    user = User(id=uuid.uuid4(), email=email, password_hash=await hash_password(password))
    org = Organization(id=uuid.uuid4(), name=name, slug=await _free_slug(repo, name), plan=DEFAULT_PLAN.value)
    membership = Membership(user_id=user.id, organization_id=org.id, role=Role.OWNER.value)
    page = StatusPage(organization_id=org.id, slug=org.slug, title=name)
    repo.add(user, org)
    try:
        await repo.flush()
        repo.add(membership, page)
        await repo.flush()
    except IntegrityError:
        # Lost a race with a concurrent signup for the same email or slug.
        raise Conflict("an account with this email already exists") from None
    return Account(user=user, membership=membership, organization=org)


async def _free_slug(repo: AccountRepository, name: str) -> str:
    candidates = slug_candidates(slugify(name), fallback=f"org-{secrets.token_hex(3)}")
    taken = await repo.slugs_taken(candidates)
    for slug in candidates:
        if slug not in taken:
            return slug
    return f"{candidates[0][:40]}-{secrets.token_hex(3)}"


async def attempt_login(
    db: AsyncSession, *, email: str, password: str, client: Client, now: datetime
) -> User | None:
    """The user, or ``None`` after recording a failure. Raises ``RateLimited`` when over the limit."""
    email = normalize_email(email)
    keys = rate_limits.keys_for(email, client.ip)
    await rate_limits.enforce(db, rate_limits.LOGIN, keys, now)
    repo = AccountRepository(db)
    user = await repo.user_by_email(email)
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        await rate_limits.record(db, rate_limits.LOGIN, keys, now)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    return user


async def start_session(
    db: AsyncSession, user: User, *, secret_key: str, client: Client, now: datetime
) -> str:
    """Create a session and return the token for the cookie; only its digest is stored."""
    token = new_token()
    db.add(
        UserSession(
            user_id=user.id,
            token_hash=token_digest(secret_key, token),
            expires_at=now + SESSION_LIFETIME,
            user_agent=(client.user_agent or "")[:255] or None,
            ip=client.ip,
            created_at=now,
        )
    )
    await db.flush()
    return token


async def user_for_token(
    db: AsyncSession, token: str, *, secret_key: str, now: datetime
) -> tuple[UserSession, User] | None:
    return await AccountRepository(db).session_with_user(token_digest(secret_key, token), now)


async def end_session(db: AsyncSession, token: str, *, secret_key: str) -> None:
    await AccountRepository(db).delete_session(token_digest(secret_key, token))


async def account_of(db: AsyncSession, user: User) -> Account:
    found = await AccountRepository(db).primary_membership(user.id)
    if found is None:
        raise NotFound("this user belongs to no organization")
    return Account(user=user, membership=found[0], organization=found[1])


async def change_password(db: AsyncSession, user: User, *, current_password: str, new_password: str) -> None:
    """Change the password and end every session of the user (the caller starts a fresh one)."""
    if not await verify_password(user.password_hash, current_password):
        raise InvalidInput("current password is wrong", field="current_password")
    check_password(new_password)
    user.password_hash = await hash_password(new_password)
    await AccountRepository(db).delete_sessions_of(user.id)


async def request_password_reset(
    db: AsyncSession, *, email: str, secret_key: str, client: Client, now: datetime
) -> tuple[User, str] | None:
    """A reset token for the user, or ``None`` when no such user exists.

    Every request counts toward the limit, found or not, so the endpoint cannot be used to mail-bomb
    an address or to probe which addresses have accounts faster than the limit allows.
    """
    email = normalize_email(email)
    keys = rate_limits.keys_for(email, client.ip)
    await rate_limits.enforce(db, rate_limits.PASSWORD_RESET, keys, now)
    await rate_limits.record(db, rate_limits.PASSWORD_RESET, keys, now)
    user = await AccountRepository(db).user_by_email(email)
    if user is None:
        return None
    token = new_token()
    db.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_digest(secret_key, token),
            expires_at=now + RESET_TOKEN_LIFETIME,
            created_at=now,
        )
    )
    await db.flush()
    return user, token


INVALID_RESET_LINK = "this password reset link is invalid or has expired; request a new one"


async def confirm_password_reset(
    db: AsyncSession, *, token: str, new_password: str, secret_key: str, now: datetime
) -> User:
    repo = AccountRepository(db)
    record = await repo.reset_token(token_digest(secret_key, token))
    if record is None or record.used_at is not None or record.expires_at <= now:
        raise InvalidInput(INVALID_RESET_LINK, field="token")
    check_password(new_password)
    user = await repo.user_by_id(record.user_id)
    if user is None:
        raise InvalidInput(INVALID_RESET_LINK, field="token")
    user.password_hash = await hash_password(new_password)
    await repo.spend_reset_tokens_of(user.id, now)
    await repo.delete_sessions_of(user.id)
    return user


async def create_user(db: AsyncSession, *, email: str, password: str, org_name: str) -> Account:
    """For the CLI: like signup, but joins an existing organization when the name's slug matches."""
    repo = AccountRepository(db)
    existing = await repo.org_by_slug(slugify(org_name)) if slugify(org_name) else None
    if existing is None:
        return await signup(db, email=email, password=password, org_name=org_name)
    email = normalize_email(email)
    check_password(password)
    if await repo.email_taken(email):
        raise Conflict("an account with this email already exists")
    user = User(id=uuid.uuid4(), email=email, password_hash=await hash_password(password))
    repo.add(user)
    await repo.flush()
    membership = Membership(user_id=user.id, organization_id=existing.id, role=Role.ADMIN.value)
    repo.add(membership)
    await repo.flush()
    return Account(user=user, membership=membership, organization=existing)


async def set_plan(db: AsyncSession, *, slug: str, plan: str) -> Organization:
    plan_key = PlanKey(get_plan(plan).key)
    org = await AccountRepository(db).org_by_slug(slug)
    if org is None:
        raise NotFound(f"no organization with slug {slug!r}")
    org.plan = plan_key.value
    return org

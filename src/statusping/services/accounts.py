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
    clean_org_name,
    normalize_email,
    slug_candidates,
    slugify,
)
from statusping.domain.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, StatusPingError
from statusping.domain.passwords import check_new_password
from statusping.domain.plans import DEFAULT_PLAN, PlanKey, get_plan
from statusping.security import (
    hash_password,
    needs_rehash,
    new_token,
    sign_device,
    token_digest,
    verified_device,
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
from statusping.storage.repositories.team import TeamRepository

SESSION_LIFETIME = timedelta(days=30)
RESET_TOKEN_LIFETIME = timedelta(hours=1)
# How long a browser stays "known" to an account after its last successful sign-in.
KNOWN_DEVICE_LIFETIME = timedelta(days=180)
WRONG_LOGIN = "wrong email or password"


@dataclass(frozen=True, slots=True)
class Account:
    user: User
    membership: Membership
    organization: Organization
    # Every organization of the user, for the header's switcher (empty where nobody asked).
    organizations: tuple[Organization, ...] = ()


@dataclass(frozen=True, slots=True)
class Client:
    """Who is on the other end of a request, for rate limits and the session list."""

    ip: str | None
    user_agent: str | None
    # The known-device cookie the browser sent, if any (checked against the email it claims).
    device: str | None = None


async def signup(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    org_name: str,
    client: Client | None = None,
    now: datetime | None = None,
) -> Account:
    """Create a user, an organization and its status page.

    With a ``client`` (every web sign-up) the attempt counts toward the per-address limit first,
    and a refusal keeps that count, so probing which emails exist costs as much as signing up.
    """
    repo = AccountRepository(db)
    if client is not None and client.ip and now is not None:
        checks = [(rate_limits.SIGNUP, f"ip:{client.ip}")]
        await rate_limits.enforce_all(db, checks, now)
        await rate_limits.record_all(db, checks, now)
    try:
        email = normalize_email(email)
        name = clean_org_name(org_name)
        check_new_password(password, email=email, org_names=[name])
        if await repo.email_taken(email):
            raise Conflict("an account with this email already exists")
    except StatusPingError as exc:
        exc.keep_changes = client is not None
        raise
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
    db: AsyncSession, *, email: str, password: str, client: Client, secret_key: str, now: datetime
) -> User:
    """The user whose password this is.

    Raises ``RateLimited`` when over a limit, and ``NotAuthenticated`` after counting a failure
    (the count is kept although the request fails). A browser holding this email's known-device
    cookie answers only to its own counter, so failures from elsewhere never lock the owner out.
    """
    email = normalize_email(email)
    device = verified_device(
        secret_key,
        client.device,
        email,
        now=int(now.timestamp()),
        max_age=int(KNOWN_DEVICE_LIFETIME.total_seconds()),
    )
    checks = rate_limits.login_checks(email, client.ip, device)
    await rate_limits.enforce_all(db, checks, now)
    user = await AccountRepository(db).user_by_email(email)
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        await rate_limits.record_all(db, checks, now)
        error = NotAuthenticated(WRONG_LOGIN)
        error.keep_changes = True
        raise error
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    return user


def known_device_token(user: User, *, secret_key: str, now: datetime) -> str:
    """A fresh known-device cookie value for a browser that just proved it knows the password."""
    return sign_device(secret_key, user.email, int(now.timestamp()))


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


async def account_of(db: AsyncSession, user: User, organization_id: uuid.UUID | None = None) -> Account:
    """The user in ``organization_id`` (a session's active organization) if still a member there,
    else in their first organization. One query also lists every organization, for the switcher."""
    found = await TeamRepository(db).memberships_of_user(user.id)
    if not found:
        raise NotFound("this user belongs to no organization")
    membership, org = next(((m, o) for m, o in found if o.id == organization_id), found[0])
    return Account(
        user=user, membership=membership, organization=org, organizations=tuple(o for _, o in found)
    )


async def change_password(
    db: AsyncSession, user: User, *, current_password: str, new_password: str, now: datetime
) -> None:
    """Change the password and end every session of the user (the caller starts a fresh one)."""
    checks = [(rate_limits.PASSWORD_CHANGE, f"user:{user.id}")]
    await rate_limits.enforce_all(db, checks, now)
    await rate_limits.record_all(db, checks, now)
    try:
        if not await verify_password(user.password_hash, current_password):
            raise InvalidInput("current password is wrong", field="current_password")
        check_new_password(new_password, email=user.email, org_names=await _org_names(db, user))
    except StatusPingError as exc:
        exc.keep_changes = True
        raise
    await _set_password(db, user, new_password, now)


async def _org_names(db: AsyncSession, user: User) -> list[str]:
    found = await AccountRepository(db).primary_membership(user.id)
    return [found[1].name] if found else []


async def _set_password(db: AsyncSession, user: User, password: str, now: datetime) -> None:
    """Every session and every outstanding reset link of the user dies with the old password."""
    user.password_hash = await hash_password(password)
    user.password_changed_at = now
    repo = AccountRepository(db)
    await repo.delete_sessions_of(user.id)
    await repo.delete_reset_tokens_of(user.id)


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
    user = await repo.user_by_id(record.user_id)
    # Belt and braces: a change deletes outstanding links, and a link older than the last change
    # is void even if one survived (issued by a node that had not seen the change yet).
    changed = user.password_changed_at if user else None
    if user is None or (changed is not None and record.created_at <= changed):
        raise InvalidInput(INVALID_RESET_LINK, field="token")
    check_new_password(new_password, email=user.email, org_names=await _org_names(db, user))
    await _set_password(db, user, new_password, now)
    return user


async def create_user(db: AsyncSession, *, email: str, password: str, org_name: str) -> Account:
    """For the CLI: like signup, but joins an existing organization when the name's slug matches."""
    repo = AccountRepository(db)
    existing = await repo.org_by_slug(slugify(org_name)) if slugify(org_name) else None
    if existing is None:
        return await signup(db, email=email, password=password, org_name=org_name)
    email = normalize_email(email)
    check_new_password(password, email=email, org_names=[existing.name])
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

"""Two-factor sign-in: enrolment, the code step of a sign-in, recovery codes, and the organization's
requirement (issue 11).

Enrolment is two steps so nobody locks themselves out: ``begin`` stores a new secret as pending
(shown as a QR code and as text), and only ``confirm`` with a code the app computed from it turns
two-factor on and hands out the recovery codes, once. Wrong codes count toward the same log-in
throttle as wrong passwords (services/rate_limits.py), plus a per-user counter for browsers that
are not known to the account, so many addresses cannot share out the guessing of one account's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.accounts import Role, normalize_email
from statusping.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, StatusPingError
from statusping.domain.two_factor import (
    CODE_REQUIRED,
    WRONG_CODE,
    EnrolmentRequired,
    TwoFactorRequired,
    format_recovery_code,
    looks_like_recovery_code,
    matching_step,
    normalize_code,
    provisioning_uri,
)
from statusping.security import verified_device, verify_password
from statusping.services import rate_limits
from statusping.services.accounts import KNOWN_DEVICE_LIFETIME, Account, Client
from statusping.services.rate_limits import Limit
from statusping.services.two_factor_secrets import (
    decrypt_secret,
    encrypt_secret,
    new_recovery_codes,
    pending_login_token,
    pending_login_user_id,
    pending_login_valid,
    recovery_code_hash,
)
from statusping.storage.models import Organization, TwoFactor, User
from statusping.storage.repositories.accounts import AccountRepository
from statusping.storage.repositories.two_factor import TwoFactorRepository

# Per account, from browsers not known to it: many addresses guessing one account's code share this.
LOGIN_CODE = Limit("login-code", 20, timedelta(minutes=15), "Too many wrong codes. Try again later.")
# Per user, signed in: confirming, regenerating and disabling check a code (and a password), which a
# stolen session must not turn into an unthrottled oracle.
SETTINGS_CODE = Limit(
    "two-factor-settings", 10, timedelta(minutes=15), "Too many attempts. Try again in a few minutes."
)


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A pending secret, as the settings page shows it."""

    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class Status:
    enabled: bool
    enabled_at: datetime | None
    pending: Enrolment | None
    recovery_codes_left: int
    required_by: list[str]


async def is_enabled(db: AsyncSession, user: User) -> bool:
    return await TwoFactorRepository(db).is_enabled(user.id)


async def status_of(db: AsyncSession, user: User, *, secret_key: str) -> Status:
    repo = TwoFactorRepository(db)
    row = await repo.of(user.id)
    pending = None
    if row is not None and row.enabled_at is None:
        secret = decrypt_secret(secret_key, row.secret_encrypted)
        pending = Enrolment(secret, provisioning_uri(secret, user.email)) if secret else None
    enabled = row is not None and row.enabled_at is not None
    return Status(
        enabled=enabled,
        enabled_at=row.enabled_at if row is not None else None,
        pending=pending,
        recovery_codes_left=await repo.recovery_codes_left(user.id) if enabled else 0,
        required_by=await repo.organizations_requiring(user.id),
    )


async def begin(db: AsyncSession, user: User, *, secret_key: str, now: datetime) -> Enrolment:
    """A new pending secret (replacing an unconfirmed one); refused while two-factor is on."""
    repo = TwoFactorRepository(db)
    row = await repo.of(user.id)
    if row is not None and row.enabled_at is not None:
        raise Conflict("two-factor sign-in is already on; turn it off first to use another app")
    secret = pyotp.random_base32()
    if row is None:
        repo.add(
            TwoFactor(user_id=user.id, secret_encrypted=encrypt_secret(secret_key, secret), created_at=now)
        )
    else:
        row.secret_encrypted = encrypt_secret(secret_key, secret)
        row.last_step = None
        row.created_at = now
    await db.flush()
    return Enrolment(secret, provisioning_uri(secret, user.email))


async def confirm(db: AsyncSession, user: User, code: str, *, secret_key: str, now: datetime) -> list[str]:
    """Turn two-factor on with a code from the pending secret; return the recovery codes (shown once)."""
    await _count_settings_attempt(db, user, now)
    repo = TwoFactorRepository(db)
    row = await repo.of(user.id)
    if row is None or row.enabled_at is not None:
        raise Conflict("start the set-up again: there is no pending two-factor secret")
    secret = decrypt_secret(secret_key, row.secret_encrypted)
    step = matching_step(secret, normalize_code(code), now, after_step=None) if secret else None
    if step is None:
        _refuse(InvalidInput("that code does not match; check the time on your phone and try again", "code"))
    row.enabled_at = now
    row.last_step = step
    return await _new_recovery_codes(db, user, secret_key, now)


async def regenerate_recovery_codes(
    db: AsyncSession, user: User, code: str, *, secret_key: str, now: datetime
) -> list[str]:
    """New recovery codes (the old ones stop working), after a current code from the app."""
    await _count_settings_attempt(db, user, now)
    if not await _accept_totp(db, user, normalize_code(code), secret_key=secret_key, now=now):
        _refuse(InvalidInput(WRONG_CODE, "code"))
    return await _new_recovery_codes(db, user, secret_key, now)


async def disable(
    db: AsyncSession, user: User, *, password: str, code: str, secret_key: str, now: datetime
) -> None:
    """Turn two-factor off: the password and a code (or a recovery code) both, and no organization
    of the user's may require it."""
    await _count_settings_attempt(db, user, now)
    repo = TwoFactorRepository(db)
    if not await repo.is_enabled(user.id):
        raise Conflict("two-factor sign-in is not on")
    required_by = await repo.organizations_requiring(user.id)
    if required_by:
        raise Forbidden(f"{', '.join(required_by)} requires two-factor sign-in; it cannot be turned off")
    if not await verify_password(user.password_hash, password):
        _refuse(InvalidInput("wrong password", "password"))
    if not await _accept_code(db, user, code, secret_key=secret_key, now=now):
        _refuse(InvalidInput(WRONG_CODE, "code"))
    await repo.delete_of(user.id)


async def verify_login_code(
    db: AsyncSession, user: User, code: str | None, *, client: Client, secret_key: str, now: datetime
) -> None:
    """The second step of a sign-in: a TOTP code (not used before) or an unused recovery code.

    Raises ``TwoFactorRequired`` without a code, and after counting a wrong one (the count is kept
    although the request fails); ``RateLimited`` when the log-in throttle is full.
    """
    if not code or not code.strip():
        raise TwoFactorRequired(CODE_REQUIRED)
    device = verified_device(
        secret_key,
        client.device,
        user.email,
        now=int(now.timestamp()),
        max_age=int(KNOWN_DEVICE_LIFETIME.total_seconds()),
    )
    checks = rate_limits.login_checks(user.email, client.ip, device)
    if device is None:
        checks.append((LOGIN_CODE, f"user:{user.id}"))
    await rate_limits.enforce_all(db, checks, now)
    if not await _accept_code(db, user, code, secret_key=secret_key, now=now):
        await rate_limits.record_all(db, checks, now)
        _refuse(TwoFactorRequired(WRONG_CODE))


async def reset_by_operator(db: AsyncSession, email: str) -> bool:
    """For ``statusping user reset-two-factor``: someone who lost both phone and recovery codes signs
    in with the password alone again (and sets it up anew). Whether it was on."""
    user = await AccountRepository(db).user_by_email(normalize_email(email))
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    repo = TwoFactorRepository(db)
    was_on = await repo.is_enabled(user.id)
    await repo.delete_of(user.id)
    return was_on


def start_pending_login(user: User, *, secret_key: str, now: datetime) -> str:
    """The signed token that carries a sign-in from its password step to its code step."""
    return pending_login_token(secret_key, user.id, user.password_hash, now)


async def user_of_pending_login(
    db: AsyncSession, token: str | None, *, secret_key: str, now: datetime
) -> User | None:
    """The user a pending sign-in belongs to, while it is unexpired and the password unchanged."""
    found = pending_login_user_id(token, now)
    if found is None or token is None:
        return None
    user = await AccountRepository(db).user_by_id(found[0])
    if user is None or not pending_login_valid(secret_key, token, found[1], user.password_hash):
        return None
    return user


async def set_requirement(db: AsyncSession, account: Account, required: bool) -> Organization:
    """The owner requires two-factor sign-in of every member, having it on themselves first."""
    if account.membership.role != Role.OWNER.value:
        raise Forbidden("only the owner can change whether the organization requires two-factor sign-in")
    if required and not await is_enabled(db, account.user):
        raise Forbidden("turn on two-factor sign-in for yourself first, at /settings/security")
    account.organization.require_two_factor = required
    await db.flush()
    return account.organization


async def check_requirement(db: AsyncSession, account: Account) -> None:
    """Raise ``EnrolmentRequired`` when the organization requires two-factor and this member has none.
    Costs a query only in organizations that require it."""
    if account.organization.require_two_factor and not await is_enabled(db, account.user):
        raise EnrolmentRequired()


async def _accept_code(db: AsyncSession, user: User, code: str, *, secret_key: str, now: datetime) -> bool:
    typed = normalize_code(code)
    if looks_like_recovery_code(typed):
        return await TwoFactorRepository(db).use_recovery_code(
            user.id, recovery_code_hash(secret_key, typed), now
        )
    return await _accept_totp(db, user, typed, secret_key=secret_key, now=now)


async def _accept_totp(db: AsyncSession, user: User, code: str, *, secret_key: str, now: datetime) -> bool:
    repo = TwoFactorRepository(db)
    row = await repo.of(user.id)
    if row is None or row.enabled_at is None:
        return False
    secret = decrypt_secret(secret_key, row.secret_encrypted)
    step = matching_step(secret, code, now, after_step=row.last_step) if secret else None
    if step is None or not await repo.claim_step(user.id, step):
        return False
    await db.refresh(row)
    return True


async def _new_recovery_codes(db: AsyncSession, user: User, secret_key: str, now: datetime) -> list[str]:
    codes = new_recovery_codes()
    await TwoFactorRepository(db).replace_recovery_codes(
        user.id, [recovery_code_hash(secret_key, code) for code in codes], now
    )
    return [format_recovery_code(code) for code in codes]


async def _count_settings_attempt(db: AsyncSession, user: User, now: datetime) -> None:
    checks = [(SETTINGS_CODE, f"user:{user.id}")]
    await rate_limits.enforce_all(db, checks, now)
    await rate_limits.record_all(db, checks, now)


def _refuse(error: StatusPingError) -> NoReturn:
    """Raise ``error`` keeping what the request counted (attempts and used codes are not undone)."""
    error.keep_changes = True
    raise error

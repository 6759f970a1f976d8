"""Password hashing and opaque tokens.

Hashing runs in a worker thread: argon2id is deliberately slow (tens of milliseconds) and would
otherwise stall every other request and check on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so a login takes as long either way and does not
# reveal which addresses have accounts.
_DUMMY_HASH = _hasher.hash("statusping-timing-equalizer")


def use_hash_parameters(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Swap the argon2 cost for this process. Only the test suite calls it (cheap hashes keep hundreds
    of sign-ups and failed logins fast); a deployment never does, and hashes made with other
    parameters still verify either way, since argon2 stores its parameters in each hash."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("statusping-timing-equalizer")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(secret_key: str, token: str) -> str:
    """What we store for a token: keyed, so a copy of the database alone cannot forge a cookie."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def csrf_token_for_session(secret_key: str, session_token: str) -> str:
    """The CSRF token of a session: derived from it, so a cookie planted by a sibling subdomain (or
    any value an attacker chose) never matches, and no second secret has to be stored."""
    return token_digest(secret_key, "csrf:" + session_token)


# A "known device" cookie (OWASP's device-cookie defence against account lockout): proof that this
# browser once signed in to this email, so the per-email failure counter does not apply to it.
_DEVICE_SEPARATOR = "."


def sign_device(secret_key: str, email: str, issued_at: int, device_id: str | None = None) -> str:
    device = device_id or secrets.token_urlsafe(16)
    payload = f"{device}{_DEVICE_SEPARATOR}{issued_at}"
    return f"{payload}{_DEVICE_SEPARATOR}{token_digest(secret_key, f'device:{email}:{payload}')}"


def verified_device(secret_key: str, cookie: str | None, email: str, *, now: int, max_age: int) -> str | None:
    """The device id when ``cookie`` was issued by us for ``email`` less than ``max_age`` s ago."""
    if not cookie or len(cookie) > 200:
        return None
    parts = cookie.split(_DEVICE_SEPARATOR)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    device, issued, signature = parts
    if not 0 <= now - int(issued) < max_age:
        return None
    expected = token_digest(secret_key, f"device:{email}:{device}{_DEVICE_SEPARATOR}{issued}")
    return device if tokens_equal(expected, signature) else None

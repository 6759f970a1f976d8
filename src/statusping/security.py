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

"""Private status pages (Business): the password, the signed cookie it earns, and its rate limit.

A private page stores an argon2 hash of its password (``StatusPage.password_hash``). The right
password earns a cookie scoped to that page: ``<expiry>.<HMAC>`` where the HMAC, under the
install's secret key, covers the page's id, the expiry and a fingerprint of the current hash
(``gate_of``). So the cookie cannot be forged or moved to another page, and changing the password
(or making the page public and private again) signs every visitor out. No session is stored.

Wrong passwords are counted per (page, client address) and per page; only failures count, so a
visitor who knows the password is never slowed by them (services/rate_limits.py).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import Forbidden
from statusping.security import token_digest, tokens_equal, verify_password
from statusping.services import rate_limits
from statusping.services.rate_limits import Limit
from statusping.storage.models import StatusPage

ACCESS_FOR = timedelta(days=30)
COOKIE_PREFIX = "statusping_page_"
WRONG = "That is not the password of this status page."
_TOO_MANY = "Too many wrong passwords. Try again later."
# One visitor guessing: 10 per 15 minutes. Everyone together (a botnet): 200 per hour per page.
WRONG_PASSWORD = Limit("page-password", 10, timedelta(minutes=15), _TOO_MANY)
WRONG_PASSWORD_PAGE = Limit("page-password-page", 200, timedelta(hours=1), _TOO_MANY)


def gate_of(page: StatusPage) -> str | None:
    """None for a public page; else a fingerprint of its password hash that cookies are bound to."""
    if page.password_hash is None:
        return None
    return hashlib.sha256(page.password_hash.encode()).hexdigest()[:32]


def cookie_name(page_id: uuid.UUID | str) -> str:
    return f"{COOKIE_PREFIX}{uuid.UUID(str(page_id)).hex}"


def _signature(secret_key: str, page_id: str, gate: str, expires: int) -> str:
    return token_digest(secret_key, f"page-access:{page_id}:{gate}:{expires}")


def sign(secret_key: str, page_id: uuid.UUID | str, gate: str, now: datetime) -> str:
    expires = int((now + ACCESS_FOR).timestamp())
    return f"{expires}.{_signature(secret_key, str(uuid.UUID(str(page_id))), gate, expires)}"


def allowed(secret_key: str, page_id: str, gate: str | None, cookie: str | None, now: datetime) -> bool:
    """Whether a visitor holding ``cookie`` may see the page (always, for a public page)."""
    if gate is None:
        return True
    if not cookie or len(cookie) > 200:
        return False
    expires, _, signature = cookie.partition(".")
    if not expires.isdigit() or int(expires) <= now.timestamp():
        return False
    return tokens_equal(_signature(secret_key, str(uuid.UUID(page_id)), gate, int(expires)), signature)


async def unlock(
    db: AsyncSession, page: StatusPage, password: str, *, client_ip: str | None, now: datetime
) -> str:
    """The gate the cookie is signed for, when ``password`` is right; ``Forbidden`` when it is wrong
    (the failure is counted and committed with the answer); ``RateLimited`` after too many."""
    gate = gate_of(page)
    if gate is None:
        raise Forbidden("this status page is public: it needs no password")
    checks = [(WRONG_PASSWORD_PAGE, str(page.id))]
    if client_ip:
        checks.append((WRONG_PASSWORD, f"{page.id}:{client_ip}"))
    await rate_limits.enforce_all(db, checks, now)
    if not await verify_password(page.password_hash, password[:1000]):
        await rate_limits.record_all(db, checks, now)
        raise Forbidden(WRONG)
    return gate

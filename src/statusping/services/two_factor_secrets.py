"""The secret parts of two-factor sign-in: the TOTP secret at rest, recovery codes, and the signed
token that carries a half-finished sign-in from the password step to the code step.

All three are keyed by the app's secret key, like session tokens: a copy of the database alone can
neither mint codes, nor test recovery codes offline, nor forge a pending sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken

from statusping.domain.two_factor import (
    PENDING_LOGIN_LIFETIME,
    RECOVERY_CODE_COUNT,
    RECOVERY_CODE_LENGTH,
    normalize_code,
)
from statusping.security import token_digest, tokens_equal

_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read back from paper


def _fernet(secret_key: str) -> Fernet:
    derived = hmac.new(secret_key.encode(), b"statusping two-factor secret", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(secret_key: str, totp_secret: str) -> str:
    return _fernet(secret_key).encrypt(totp_secret.encode()).decode()


def decrypt_secret(secret_key: str, stored: str) -> str | None:
    """None when the app's secret key changed since enrolment (the user must enrol again)."""
    try:
        return _fernet(secret_key).decrypt(stored.encode()).decode()
    except InvalidToken:
        return None


def new_recovery_codes() -> list[str]:
    return [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def recovery_code_hash(secret_key: str, code: str) -> str:
    return token_digest(secret_key, "recovery:" + normalize_code(code))


def pending_login_token(secret_key: str, user_id: uuid.UUID, password_hash: str, now: datetime) -> str:
    """``<user id>.<issued at>.<signature>``, the signature also over the password hash, so a
    password change voids every half-finished sign-in."""
    payload = f"{user_id}.{int(now.timestamp())}"
    return f"{payload}.{token_digest(secret_key, f'2fa-pending:{payload}:{password_hash}')}"


def pending_login_user_id(token: str | None, now: datetime) -> tuple[uuid.UUID, str] | None:
    """The user id a pending token names and its payload, if well formed and not yet expired
    (the signature is checked by :func:`pending_login_valid` once the user is loaded)."""
    if not token or len(token) > 200:
        return None
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    try:
        user_id = uuid.UUID(parts[0])
    except ValueError:
        return None
    age = int(now.timestamp()) - int(parts[1])
    if not 0 <= age < PENDING_LOGIN_LIFETIME.total_seconds():
        return None
    return user_id, f"{parts[0]}.{parts[1]}"


def pending_login_valid(secret_key: str, token: str, payload: str, password_hash: str) -> bool:
    expected = token_digest(secret_key, f"2fa-pending:{payload}:{password_hash}")
    return tokens_equal(expected, token.rsplit(".", 1)[-1])

"""Rules for users and organizations that need no storage: names, slugs, passwords, roles."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from statusping.domain.errors import InvalidInput

PASSWORD_MIN_LENGTH = 8
# argon2 hashes any length, but an unbounded password is a cheap way to burn our CPU.
PASSWORD_MAX_LENGTH = 256
ORG_NAME_MAX_LENGTH = 100
SLUG_MAX_LENGTH = 48


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    VIEWER = "viewer"


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; users type them in every case."""
    return email.strip().lower()


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(f"password must be at least {PASSWORD_MIN_LENGTH} characters", field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(f"password must be at most {PASSWORD_MAX_LENGTH} characters", field="password")


def clean_org_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("organization name must not be empty", field="organization")
    if len(cleaned) > ORG_NAME_MAX_LENGTH:
        raise InvalidInput(
            f"organization name must be at most {ORG_NAME_MAX_LENGTH} characters",
            field="organization",
        )
    return cleaned


_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """Lowercase ``a-z0-9-``: accents folded to ASCII, every other run of characters one dash.

    Returns an empty string when nothing usable is left (a name in another script, say); the caller
    then picks a fallback, because a slug must never be empty.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")


def slug_candidates(base: str, fallback: str) -> list[str]:
    """The slugs to try in order: the base, then ``base-2``, ``base-3``…"""
    root = base or fallback
    suffixed = [f"{root[: SLUG_MAX_LENGTH - len(str(n)) - 1]}-{n}" for n in range(2, 50)]
    return [root, *suffixed]

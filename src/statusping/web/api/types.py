"""Input types every API schema shares, so bad input is refused once, at the edge, on both databases.

PostgreSQL refuses a NUL byte in text and JSON, and no driver can encode a lone surrogate; a float
that is not finite is not JSON; a datetime far from now overflows as soon as an offset is applied.
Each would be a 500 deep inside a query. Here they are a 422 that names the field.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, field_validator
from pydantic_core import PydanticCustomError

# Integers a JSON client can round-trip exactly (I-JSON, RFC 7493) and every integer column can hold.
MAX_JSON_INT = 2**53 - 1
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_OFFSET = 10**9
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def storable_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as-is on every database, or None if it can."""
    if "\x00" in text:
        return "must not contain NUL bytes"
    if not text.isascii() and _SURROGATE.search(text):
        return "must be valid Unicode (no lone surrogates)"
    return None


def _problem(value: Any, where: str = "") -> str | None:
    """The first unstorable piece of a parsed JSON value: strings, keys, numbers, nested containers."""
    if isinstance(value, str):
        problem = storable_text_problem(value)
        return f"{where}{problem}" if problem else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if abs(value) <= MAX_JSON_INT else f"{where}must be between ±{MAX_JSON_INT}"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where}must be a finite number"
    if isinstance(value, dict):
        for key, item in value.items():
            found = _problem(key, f"{where}a key ") if isinstance(key, str) else None
            found = found or _problem(item, f"{where}{key}: ")
            if found:
                return found
        return None
    if isinstance(value, list | tuple | set | frozenset):
        return next((p for p in (_problem(item, where) for item in value) if p), None)
    if isinstance(value, BaseModel):
        return _problem(dict(value), where)
    return None


class Input(BaseModel):
    """Base of every request body: no field, however nested (``config``, ``headers``…), may carry
    a NUL byte, a lone surrogate, a non-finite float or an integer beyond ±2^53."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        problem = _problem(value)
        if problem:
            raise PydanticCustomError("unstorable", problem)
        return value


def _iso_only(value: Any) -> Any:
    # pydantic also reads a number as a Unix timestamp; the API speaks ISO 8601 only (PRODUCT.md §4).
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        raise PydanticCustomError("datetime_type", "must be an ISO 8601 date-time, e.g. 2026-01-01T00:00:00Z")
    return value


def _sane_datetime(value: datetime) -> datetime:
    # Compare the year first: applying an offset to year 1 or 9999 overflows.
    inside = EARLIEST.year <= value.year < LATEST.year
    if inside:
        at = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        inside = EARLIEST <= at < LATEST
    if not inside:
        raise PydanticCustomError("datetime_range", "must be between 1970-01-01 and 2100-01-01 (UTC)")
    return value


def _storable_str(value: str) -> str:
    problem = storable_text_problem(value)
    if problem:
        raise PydanticCustomError("unstorable", problem)
    return value


# For parameters outside a body model (HTML form fields): the same rule as ``Input``'s fields.
StorableStr = Annotated[str, AfterValidator(_storable_str)]
SaneDatetime = Annotated[
    datetime,
    BeforeValidator(_iso_only),
    AfterValidator(_sane_datetime),
    Field(description="ISO 8601 with a time zone, between 1970-01-01 and 2100-01-01"),
]
PageOffset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

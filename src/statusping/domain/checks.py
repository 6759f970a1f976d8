"""What a check produces, and the pure parts of judging an HTTP response.

The engine's runners do the I/O; the rules for "is this response good" live here so they are tested
without a network.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from statusping.domain.errors import InvalidInput


class ErrorKind(StrEnum):
    TIMEOUT = "timeout"
    DNS = "dns"
    CONNECTION = "connection"
    TLS = "tls"
    STATUS = "status"
    KEYWORD = "keyword"
    JSON = "json"
    TOO_LARGE = "too_large"
    SSRF_BLOCKED = "ssrf_blocked"
    HEARTBEAT_MISSED = "heartbeat_missed"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Timings:
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    ttfb_ms: float | None = None


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """One check's result as a runner reports it (the engine adds when, where and for whom)."""

    ok: bool
    response_ms: float | None = None
    status_code: int | None = None
    timings: Timings = field(default_factory=Timings)
    error_kind: ErrorKind | None = None
    error: str | None = None
    ssl_expires_at: datetime | None = None
    ssl_issuer: str | None = None

    @classmethod
    def failure(
        cls, kind: ErrorKind, message: str, *, response_ms: float | None = None, **extra: Any
    ) -> CheckOutcome:
        return cls(ok=False, error_kind=kind, error=message, response_ms=response_ms, **extra)


# Expected status codes ------------------------------------------------------------------------

_STATUS_PART = re.compile(r"^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$")


@dataclass(frozen=True, slots=True)
class StatusSet:
    """A set of HTTP status codes written like ``"200-299"`` or ``"200,301,400-404"``."""

    ranges: tuple[tuple[int, int], ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> StatusSet:
        return _parse_status_set(text)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, int) and any(low <= code <= high for low, high in self.ranges)


# Every check of a monitor parses the same text: cache it (the set of distinct texts is tiny).
@functools.lru_cache(maxsize=1024)
def _parse_status_set(text: str) -> StatusSet:
    ranges: list[tuple[int, int]] = []
    for part in text.split(","):
        match = _STATUS_PART.match(part)
        if not match:
            raise InvalidInput(
                f"expected_status: {part.strip()!r} is not a status code or range like 200-299",
                field="expected_status",
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not (100 <= low <= high <= 599):
            raise InvalidInput(
                f"expected_status: {part.strip()!r} must be codes between 100 and 599, low to high",
                field="expected_status",
            )
        ranges.append((low, high))
    return StatusSet(tuple(ranges), ",".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges))


# JSON path ------------------------------------------------------------------------------------

_PATH_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]|\['([^']*)'\]")


def parse_json_path(path: str) -> tuple[str | int, ...]:
    """``$.data.items[0].status`` → ``("data", "items", 0, "status")``.

    A deliberately small subset of JSONPath (dotted keys, ``[n]`` indexes, ``["key"]``): enough to
    point at one value, which is all a health check needs.
    """
    rest = path.strip()
    if rest.startswith("$"):
        rest = rest[1:]
    tokens: list[str | int] = []
    pos = 0
    while pos < len(rest):
        match = _PATH_TOKEN.match(rest, pos)
        if not match or match.end() == pos:
            raise InvalidInput(
                f"json_path: cannot read {path!r} at {rest[pos:]!r}; use a form like $.data.items[0].status",
                field="json_path",
            )
        name, index, dq, sq = match.groups()
        tokens.append(int(index) if index is not None else (name or dq or sq or ""))
        pos = match.end()
    if not tokens:
        raise InvalidInput("json_path must point inside the document, e.g. $.status", field="json_path")
    return tuple(tokens)


_MISSING = object()


def resolve_json_path(document: Any, tokens: tuple[str | int, ...]) -> Any:
    current = document
    for token in tokens:
        if isinstance(current, list) and isinstance(token, int):
            if not -len(current) <= token < len(current):
                return _MISSING
            current = current[token]
        elif isinstance(current, dict) and isinstance(token, str):
            if token not in current:
                return _MISSING
            current = current[token]
        else:
            return _MISSING
    return current


def json_expectation_error(body: bytes, path: str, expected: str | None) -> str | None:
    """``None`` when the body's value at ``path`` matches ``expected``, else a message saying why not."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "response is not valid JSON"
    value = resolve_json_path(document, parse_json_path(path))
    if value is _MISSING:
        return f"{path} not found in the response"
    if expected is None:
        return None
    if _json_equal(value, expected):
        return None
    shown = json.dumps(value)[:80]
    return f"{path} is {shown}, expected {expected}"


def _json_equal(value: Any, expected: str) -> bool:
    try:
        if json.loads(expected) == value and type(json.loads(expected)) is type(value):
            return True
    except ValueError:
        pass
    # "up" matches the JSON string "up"; 200 matches "200" as users type both.
    return (value if isinstance(value, str) else json.dumps(value)) == expected


def status_error(code: int, reason: str | None, expected: StatusSet) -> str:
    text = f"{code} {reason}".strip() if reason else str(code)
    return f"expected {expected.text}, got {text}"

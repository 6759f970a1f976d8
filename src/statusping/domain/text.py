"""Making what the outside world sends us storable, on SQLite and PostgreSQL alike.

A check result carries text we do not control: an error message quoting a DNS TXT answer, a
certificate issuer, a status line. PostgreSQL refuses NUL in text and JSON, neither database's driver
can encode a lone surrogate, and a 1 MB error message has no business in a results table. So results
are cleaned once, at the edge, before they reach a row or an alert payload.
"""

from __future__ import annotations

import dataclasses
import math
import re

from statusping.domain.checks import CheckOutcome, Timings

MAX_ERROR_LENGTH = 1000
MAX_LABEL_LENGTH = 255  # short texts: a certificate issuer, a status line
ELLIPSIS = "…"

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls and DEL, except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def storable_text(value: str | None, limit: int) -> str | None:
    """``value`` without control characters (tab and newline stay), lone surrogates replaced by
    U+FFFD, and cut to ``limit`` characters (the last one an ellipsis). Empty becomes None."""
    if value is None:
        return None
    if len(value) > 4 * limit:
        value = value[: 4 * limit]  # never scan a megabyte we are about to throw away
    if not value.isascii() or not value.isprintable():
        value = _CONTROL.sub("", value)
        value = _SURROGATE.sub("\ufffd", value)
    if len(value) > limit:
        value = value[: limit - 1] + ELLIPSIS
    return value or None


def storable_number(value: float | None) -> float | None:
    """A finite, non-negative number or None (NaN and infinity break JSON answers)."""
    if value is None or not math.isfinite(value) or value < 0:
        return None
    return value


def storable_status(code: int | None) -> int | None:
    return code if code is not None and 100 <= code <= 999 else None


def _clean_text(value: str | None, limit: int) -> bool:
    return value is None or (len(value) <= limit and value.isascii() and value.isprintable() and value != "")


def _clean_number(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and value >= 0)


def storable_outcome(outcome: CheckOutcome) -> CheckOutcome:
    """The same outcome with every field fit for a database row and a JSON payload (the very same
    object when it already is: this runs for every check, and nearly all are clean)."""
    timings = outcome.timings
    if (
        _clean_text(outcome.error, MAX_ERROR_LENGTH)
        and _clean_text(outcome.ssl_issuer, MAX_LABEL_LENGTH)
        and (outcome.status_code is None or storable_status(outcome.status_code) is not None)
        and _clean_number(outcome.response_ms)
        and _clean_number(timings.dns_ms)
        and _clean_number(timings.connect_ms)
        and _clean_number(timings.tls_ms)
        and _clean_number(timings.ttfb_ms)
    ):
        return outcome
    return dataclasses.replace(
        outcome,
        response_ms=storable_number(outcome.response_ms),
        status_code=storable_status(outcome.status_code),
        timings=Timings(
            dns_ms=storable_number(timings.dns_ms),
            connect_ms=storable_number(timings.connect_ms),
            tls_ms=storable_number(timings.tls_ms),
            ttfb_ms=storable_number(timings.ttfb_ms),
        ),
        error=storable_text(outcome.error, MAX_ERROR_LENGTH),
        ssl_issuer=storable_text(outcome.ssl_issuer, MAX_LABEL_LENGTH),
    )

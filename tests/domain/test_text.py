"""Results are made storable before they reach a row: no NUL, no lone surrogate, no megabytes."""

from __future__ import annotations

import math

from statusping.domain.checks import CheckOutcome, ErrorKind, Timings
from statusping.domain.text import MAX_ERROR_LENGTH, storable_outcome, storable_text


def test_plain_text_is_left_alone() -> None:
    assert storable_text("connection refused", 100) == "connection refused"
    assert storable_text("Zürich — 東京", 100) == "Zürich — 東京"
    assert storable_text(None, 100) is None


def test_nul_and_other_control_characters_go_but_tab_and_newline_stay() -> None:
    assert storable_text("a\x00b\x07c\x1bd\x7fe\x85f", 100) == "abcdef"
    assert storable_text("line one\nline\ttwo", 100) == "line one\nline\ttwo"


def test_a_lone_surrogate_becomes_a_replacement_character() -> None:
    cleaned = storable_text("bad \ud800 half", 100)
    assert cleaned == "bad \ufffd half"
    assert cleaned is not None
    cleaned.encode("utf-8")  # would raise if a surrogate were left


def test_long_text_is_cut_with_an_ellipsis() -> None:
    cleaned = storable_text("x" * 1_000_000, MAX_ERROR_LENGTH)
    assert cleaned is not None
    assert len(cleaned) == MAX_ERROR_LENGTH
    assert cleaned.endswith("…")


def test_text_of_nothing_but_control_characters_becomes_none() -> None:
    assert storable_text("\x00\x00", 100) is None


def test_an_outcome_is_cleaned_field_by_field() -> None:
    outcome = CheckOutcome(
        ok=False,
        response_ms=math.nan,
        status_code=70_000,
        timings=Timings(dns_ms=math.inf, connect_ms=-1.0, tls_ms=2.5, ttfb_ms=None),
        error_kind=ErrorKind.DNS,
        error="TXT \x00 \udc80" + "y" * 5000,
        ssl_issuer="CN=\x00evil" + "z" * 1000,
    )
    cleaned = storable_outcome(outcome)
    assert cleaned.response_ms is None
    assert cleaned.status_code is None
    assert cleaned.timings == Timings(dns_ms=None, connect_ms=None, tls_ms=2.5, ttfb_ms=None)
    assert cleaned.error is not None
    assert cleaned.error.startswith("TXT  \ufffdyyy")
    assert len(cleaned.error) == MAX_ERROR_LENGTH
    assert cleaned.ssl_issuer is not None
    assert cleaned.ssl_issuer.startswith("CN=evil")
    assert len(cleaned.ssl_issuer) == 255
    assert cleaned.error_kind is ErrorKind.DNS


def test_a_clean_outcome_comes_back_equal() -> None:
    outcome = CheckOutcome(ok=True, response_ms=12.5, status_code=200, timings=Timings(dns_ms=1.0))
    assert storable_outcome(outcome) == outcome


def test_a_clean_outcome_is_returned_as_it_is() -> None:
    outcome = CheckOutcome.failure(ErrorKind.STATUS, "HTTP 503", response_ms=4.0, status_code=503)
    assert storable_outcome(outcome) is outcome

from __future__ import annotations

import pytest

from statusping.domain.checks import (
    StatusSet,
    json_expectation_error,
    parse_json_path,
    status_error,
)
from statusping.domain.errors import InvalidInput


def test_status_sets_read_ranges_and_lists() -> None:
    expected = StatusSet.parse("200-299, 301,404")
    assert 200 in expected
    assert 299 in expected
    assert 301 in expected
    assert 404 in expected
    assert 300 not in expected
    assert 503 not in expected
    assert expected.text == "200-299,301,404"


@pytest.mark.parametrize("text", ["", "abc", "200-", "299-200", "99", "600", "200;201"])
def test_bad_status_sets_are_refused_with_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        StatusSet.parse(text)
    assert caught.value.field == "expected_status"


def test_status_errors_say_what_was_expected_and_got() -> None:
    assert (
        status_error(503, "Service Unavailable", StatusSet.parse("200-299"))
        == "expected 200-299, got 503 Service Unavailable"
    )


def test_json_paths_read_dots_indexes_and_quoted_keys() -> None:
    assert parse_json_path("$.data.items[0].status") == ("data", "items", 0, "status")
    assert parse_json_path('$["odd key"].x') == ("odd key", "x")
    assert parse_json_path("status") == ("status",)
    with pytest.raises(InvalidInput):
        parse_json_path("$")
    with pytest.raises(InvalidInput):
        parse_json_path("$.a..b")


@pytest.mark.parametrize(
    ("body", "path", "expected", "error"),
    [
        (b'{"status": "up"}', "$.status", "up", None),
        (b'{"status": "down"}', "$.status", "up", '$.status is "down", expected up'),
        (b'{"n": 200}', "$.n", "200", None),
        (b'{"ok": true}', "$.ok", "true", None),
        (b'{"items": [{"s": 1}]}', "$.items[0].s", "1", None),
        (b'{"items": []}', "$.items[0].s", "1", "$.items[0].s not found in the response"),
        (b'{"status": "up"}', "$.status", None, None),
        (b"<html>", "$.status", "up", "response is not valid JSON"),
    ],
)
def test_json_expectations(body: bytes, path: str, expected: str | None, error: str | None) -> None:
    assert json_expectation_error(body, path, expected) == error

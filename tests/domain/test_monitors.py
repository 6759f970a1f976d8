from __future__ import annotations

from typing import Any

import pytest

from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import (
    Timing,
    check_timing,
    normalize_dns,
    normalize_heartbeat,
    normalize_http,
    normalize_tcp,
)


def http(**config: Any) -> dict[str, Any]:
    return normalize_http({"url": "https://example.com/health", **config}, allow_private=False)


def test_http_defaults_are_filled_in() -> None:
    config = http()
    assert config["method"] == "GET"
    assert config["expected_status"] == "200-299"
    assert config["follow_redirects"] is True
    assert config["verify_tls"] is True


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"url": "ftp://example.com"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://user:pw@example.com"}, "url"),
        ({"url": "https://example.com:99999"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://127.0.0.1:8000"}, "url"),
        ({"url": "http://[::1]/"}, "url"),
        ({"url": "http://localhost/"}, "url"),
        ({"method": "TRACE"}, "method"),
        ({"headers": {"Bad Header": "x"}}, "headers"),
        ({"headers": {"X-Ok": "a\r\nInjected: 1"}}, "headers"),
        ({"headers": {"Host": "other"}}, "headers"),
        ({"headers": {"X-Big": "x" * 5000}}, "headers"),
        ({"expected_status": "2xx"}, "expected_status"),
        ({"json_path": "$..x"}, "json_path"),
        ({"json_expected": "up"}, "json_expected"),
        ({"ssl_expiry_days": 0}, "ssl_expiry_days"),
    ],
)
def test_bad_http_settings_name_their_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_http({"url": "https://example.com", **config}, allow_private=False)
    assert caught.value.field == field


def test_private_targets_are_fine_when_allowed() -> None:
    config = normalize_http({"url": "http://127.0.0.1:8000/"}, allow_private=True)
    assert config["url"] == "http://127.0.0.1:8000/"


def test_tcp_needs_a_host_and_a_port_in_range() -> None:
    assert normalize_tcp({"host": "Example.COM", "port": 443}, allow_private=False) == {
        "host": "example.com",
        "port": 443,
    }
    for bad in ({"host": "example.com", "port": 0}, {"host": "example.com", "port": "80"}, {"port": 1}):
        with pytest.raises(InvalidInput):
            normalize_tcp(bad, allow_private=False)
    with pytest.raises(InvalidInput, match="link-local"):
        normalize_tcp({"host": "169.254.169.254", "port": 80}, allow_private=False)


def test_dns_record_types_and_nameservers_are_checked() -> None:
    assert (
        normalize_dns({"hostname": "Example.com", "record_type": "mx"}, allow_private=False)["record_type"]
        == "MX"
    )
    with pytest.raises(InvalidInput, match="record_type"):
        normalize_dns({"hostname": "example.com", "record_type": "SOA"}, allow_private=False)
    with pytest.raises(InvalidInput, match="nameserver"):
        normalize_dns({"hostname": "example.com", "nameserver": "dns.google"}, allow_private=False)


def test_heartbeat_grace_has_a_default() -> None:
    assert normalize_heartbeat({}) == {"grace_seconds": 60, "schedule": None, "timezone": None}


@pytest.mark.parametrize(
    ("timing", "field"),
    [
        (Timing(60, 10, 3, 20), None),
        (Timing(30, 10, 3, 20), "interval_seconds"),  # below the plan minimum of 60
        (Timing(60, 60, 3, 20), "timeout_seconds"),  # not below the interval
        (Timing(60, 0, 3, 20), "timeout_seconds"),
        (Timing(60, 10, 0, 20), "failure_threshold"),
        (Timing(60, 10, 3, 61), "retry_interval_seconds"),
    ],
)
def test_timing_rules(timing: Timing, field: str | None) -> None:
    if field is None:
        check_timing(timing, min_interval_seconds=60, plan_hint="Pro")
        return
    with pytest.raises(InvalidInput) as caught:
        check_timing(timing, min_interval_seconds=60, plan_hint="Pro")
    assert caught.value.field == field
    if field == "interval_seconds":
        assert "at least 60 on the Pro plan" in caught.value.detail

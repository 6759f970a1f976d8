from __future__ import annotations

import pytest

from statusping.domain.targets import blocked_reason, literal_ip


@pytest.mark.parametrize(
    ("address", "label"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::1", "unique-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
    ],
)
def test_non_public_addresses_are_blocked_with_the_reason(address: str, label: str) -> None:
    reason = blocked_reason(address)
    assert reason is not None
    assert label in reason


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(address) is None


def test_literal_ips_are_recognised_with_or_without_brackets() -> None:
    assert literal_ip("[::1]") == "::1"
    assert literal_ip("169.254.169.254") == "169.254.169.254"
    assert literal_ip("example.com") is None

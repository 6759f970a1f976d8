"""The dns check against a local nameserver serving a test zone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.monitors import MonitorType, normalize_dns
from statusping.engine.runners import run_check
from statusping.outbound.http import HttpClient
from tests.engine.servers import DnsServer, dns_server


@pytest.fixture
async def nameserver() -> AsyncIterator[DnsServer]:
    async with dns_server() as server:
        yield server


async def check(
    client: HttpClient, server: str, hostname: str, record_type: str, expected: str | None = None,
    timeout_seconds: float = 2.0,
) -> CheckOutcome:  # fmt: skip
    config = normalize_dns(
        {"hostname": hostname, "record_type": record_type, "expected": expected, "nameserver": server},
        allow_private=True,
    )
    return await run_check(MonitorType.DNS, config, timeout_seconds, client)


@pytest.mark.parametrize(
    ("hostname", "record_type", "expected"),
    [
        ("www.example.test", "A", None),
        ("www.example.test", "A", "192.0.2.11"),
        ("www.example.test", "AAAA", "2001:DB8:0::10"),
        ("alias.example.test", "CNAME", "www.example.test"),
        ("example.test", "MX", "10 mail.example.test."),
        ("example.test", "MX", "mail.example.test"),
        ("example.test", "TXT", "v=spf1 -all"),
        ("example.test", "NS", "NS1.example.test"),
    ],
)
async def test_an_answer_matching_the_expected_value_is_up(
    http_client: HttpClient, nameserver: DnsServer, hostname: str, record_type: str, expected: str | None
) -> None:
    outcome = await check(http_client, nameserver.address, hostname, record_type, expected)
    assert outcome.ok, outcome.error
    assert outcome.response_ms is not None
    assert outcome.timings.dns_ms is not None
    assert nameserver.queries == [f"{hostname}. {record_type}"]


async def test_answers_that_differ_from_the_expected_value_are_listed(
    http_client: HttpClient, nameserver: DnsServer
) -> None:
    outcome = await check(http_client, nameserver.address, "www.example.test", "A", "192.0.2.99")
    assert outcome.error_kind is ErrorKind.DNS
    assert outcome.error == "expected 192.0.2.99, got 192.0.2.10, 192.0.2.11"


async def test_a_name_that_does_not_exist_is_a_dns_failure(
    http_client: HttpClient, nameserver: DnsServer
) -> None:
    outcome = await check(http_client, nameserver.address, "nope.example.test", "A")
    assert (outcome.error_kind, outcome.error) == (
        ErrorKind.DNS,
        "nope.example.test does not exist (NXDOMAIN)",
    )


async def test_a_name_without_the_record_type_is_a_dns_failure(
    http_client: HttpClient, nameserver: DnsServer
) -> None:
    outcome = await check(http_client, nameserver.address, "example.test", "AAAA")
    assert (outcome.error_kind, outcome.error) == (ErrorKind.DNS, "example.test has no AAAA record")


async def test_a_nameserver_that_never_answers_times_out(http_client: HttpClient) -> None:
    async with dns_server(answer=False) as silent:
        outcome = await check(http_client, silent.address, "www.example.test", "A", timeout_seconds=1)
    assert (outcome.error_kind, outcome.error) == (ErrorKind.TIMEOUT, "timed out after 1 s")

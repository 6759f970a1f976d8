"""The SSRF guard: with private targets refused, no check connects to a non-public address, whether it
is named directly, reached through a host name, or reached through a redirect hop.

The engine's guard sits where sockets are opened, so these checks are not stopped by validation
(configs are normalized with private targets allowed) but at connect time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Any

import pytest

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.monitors import MonitorType, normalize_dns, normalize_http, normalize_tcp
from statusping.engine.runners import run_check
from statusping.outbound.http import HttpClient, TargetPolicy
from tests.engine.conftest import running_client
from tests.engine.servers import WebTarget, dns_server, web_target

LOOPBACK_ONE = (ipaddress.ip_network("127.0.0.1/32"),)
METADATA_REFUSAL = "169.254.169.254 is a link-local address; checks may only reach public addresses"


@pytest.fixture
async def guarded() -> AsyncIterator[HttpClient]:
    """Private targets refused, except 127.0.0.1 so the tests' own first hop is reachable."""
    async with running_client(TargetPolicy(allow_private=False, allowed_networks=LOOPBACK_ONE)) as client:
        yield client


@pytest.fixture
async def strict() -> AsyncIterator[HttpClient]:
    async with running_client(TargetPolicy(allow_private=False)) as client:
        yield client


@pytest.fixture
async def target() -> AsyncIterator[WebTarget]:
    async with web_target() as server:
        yield server


@pytest.fixture
async def other_loopback() -> AsyncIterator[WebTarget]:
    """A live server on 127.0.0.2: loopback, but outside the allowlist."""
    async with web_target(host="127.0.0.2") as server:
        yield server


async def http_check(client: HttpClient, url: str, **config: Any) -> CheckOutcome:
    normalized = normalize_http({"url": url, **config}, allow_private=True)
    return await run_check(MonitorType.HTTP, normalized, 2, client)


async def tcp_check(client: HttpClient, host: str, port: int) -> CheckOutcome:
    normalized = normalize_tcp({"host": host, "port": port}, allow_private=True)
    return await run_check(MonitorType.TCP, normalized, 2, client)


def test_the_policy_names_why_an_address_is_refused() -> None:
    policy = TargetPolicy(allow_private=False, allowed_networks=LOOPBACK_ONE)
    assert policy.refusal("169.254.169.254") == METADATA_REFUSAL
    assert (
        policy.refusal("10.0.0.1") == "10.0.0.1 is a private address; checks may only reach public addresses"
    )
    assert policy.refusal("127.0.0.1") is None  # allowlisted
    assert policy.refusal("127.0.0.2") is not None
    assert policy.refusal("93.184.215.14") is None
    assert TargetPolicy(allow_private=True).refusal("169.254.169.254") is None


async def test_the_cloud_metadata_address_is_blocked(guarded: HttpClient) -> None:
    outcome = await http_check(guarded, "http://169.254.169.254/latest/meta-data/")
    assert (outcome.error_kind, outcome.error) == (ErrorKind.SSRF_BLOCKED, METADATA_REFUSAL)


async def test_a_name_resolving_to_loopback_is_blocked_when_it_is_connected(
    strict: HttpClient, target: WebTarget
) -> None:
    # The same path DNS rebinding would take: the name is fine, the address it resolves to is not.
    outcome = await http_check(strict, f"http://localhost:{target.port}/")
    assert outcome.error_kind is ErrorKind.SSRF_BLOCKED
    assert outcome.error == "127.0.0.1 is a loopback address; checks may only reach public addresses"
    assert target.paths == []


async def test_a_redirect_to_a_blocked_address_is_stopped_at_the_hop(
    guarded: HttpClient, target: WebTarget, other_loopback: WebTarget
) -> None:
    outcome = await http_check(guarded, target.url(f"/redirect?to={other_loopback.url('/')}"))
    assert outcome.error_kind is ErrorKind.SSRF_BLOCKED
    assert outcome.error == "127.0.0.2 is a loopback address; checks may only reach public addresses"
    assert len(target.paths) == 1  # the allowed first hop was asked
    assert other_loopback.paths == []  # the blocked one never was


async def test_the_same_redirect_is_followed_when_private_targets_are_allowed(
    target: WebTarget, other_loopback: WebTarget
) -> None:
    client = HttpClient(TargetPolicy(allow_private=True))
    await client.start()
    try:
        outcome = await http_check(client, target.url(f"/redirect?to={other_loopback.url('/')}"))
    finally:
        await client.close()
    assert outcome.ok, outcome.error
    assert other_loopback.paths == ["/"]


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("10.0.0.1", "10.0.0.1 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
    ],
)
async def test_a_tcp_check_to_a_private_address_is_blocked(
    guarded: HttpClient, host: str, reason: str
) -> None:
    outcome = await tcp_check(guarded, host, 80)
    assert outcome.error_kind is ErrorKind.SSRF_BLOCKED
    assert outcome.error == f"{reason}; checks may only reach public addresses"


async def test_a_tcp_check_to_a_name_resolving_to_loopback_is_blocked(strict: HttpClient) -> None:
    outcome = await tcp_check(strict, "localhost", 80)
    assert outcome.error_kind is ErrorKind.SSRF_BLOCKED


async def test_a_dns_check_may_not_ask_a_private_nameserver(strict: HttpClient) -> None:
    async with dns_server() as server:
        config = normalize_dns(
            {"hostname": "www.example.test", "record_type": "A", "nameserver": server.address},
            allow_private=True,
        )
        outcome = await run_check(MonitorType.DNS, config, 2, strict)
    assert outcome.error_kind is ErrorKind.SSRF_BLOCKED
    assert outcome.error == "127.0.0.1 is a loopback address; checks may only reach public addresses"
    assert server.queries == []

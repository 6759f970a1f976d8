"""The tcp check: connect to host:port and hang up; the ways that fails."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.monitors import MonitorType, normalize_tcp
from statusping.engine.runners import run_check
from statusping.outbound.http import HttpClient
from tests.engine.servers import closed_port, full_backlog_port, silent_server


async def check(client: HttpClient, host: str, port: int, *, timeout_seconds: float = 2.0) -> CheckOutcome:
    config: dict[str, Any] = normalize_tcp({"host": host, "port": port}, allow_private=True)
    return await run_check(MonitorType.TCP, config, timeout_seconds, client)


async def test_an_open_port_is_up_with_connect_time(http_client: HttpClient) -> None:
    async with silent_server() as port:
        outcome = await check(http_client, "127.0.0.1", port)
    assert outcome.ok, outcome.error
    assert outcome.response_ms is not None
    assert outcome.timings.connect_ms is not None
    assert outcome.timings.dns_ms is None  # an IP literal needs no lookup


async def test_a_host_name_is_resolved_and_the_lookup_timed(http_client: HttpClient) -> None:
    async with silent_server() as port:
        outcome = await check(http_client, "localhost", port)
    assert outcome.ok, outcome.error
    assert outcome.timings.dns_ms is not None


async def test_a_closed_port_is_connection_refused(http_client: HttpClient) -> None:
    outcome = await check(http_client, "127.0.0.1", closed_port())
    assert (outcome.error_kind, outcome.error) == (ErrorKind.CONNECTION, "connection refused")


async def test_an_unresolvable_name_is_a_dns_failure(http_client: HttpClient) -> None:
    outcome = await check(http_client, "nothing-here.invalid", 80)
    assert (outcome.error_kind, outcome.error) == (
        ErrorKind.DNS,
        "name does not resolve: nothing-here.invalid",
    )


async def test_a_listener_that_never_completes_the_handshake_times_out(http_client: HttpClient) -> None:
    with full_backlog_port() as port:
        started = perf_counter()
        outcome = await check(http_client, "127.0.0.1", port, timeout_seconds=1)
    assert (outcome.error_kind, outcome.error) == (ErrorKind.TIMEOUT, "timed out after 1 s")
    assert perf_counter() - started < 2

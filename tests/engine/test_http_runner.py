"""The http check against real local servers: what each target behaviour turns into."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from time import perf_counter
from typing import Any

import pytest

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.monitors import MonitorType, normalize_http
from statusping.engine.runners import run_check
from statusping.outbound.http import HttpClient
from tests.engine.servers import (
    BIG_BODY_BYTES,
    CA_NAME,
    SELF_SIGNED_NAME,
    Certificates,
    WebTarget,
    closed_port,
    make_certificates,
    silent_server,
    web_target,
)

TIMEOUT = 2.0


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(Path(tmp_path_factory.mktemp("certs")))


@pytest.fixture
async def target() -> AsyncIterator[WebTarget]:
    async with web_target() as server:
        yield server


async def check(
    client: HttpClient, url: str, *, timeout_seconds: float = TIMEOUT, **config: Any
) -> CheckOutcome:
    """Run a check on a config exactly as validation stores it."""
    normalized = normalize_http({"url": url, **config}, allow_private=True)
    return await run_check(MonitorType.HTTP, normalized, timeout_seconds, client)


# Healthy, status, keyword, JSON ---------------------------------------------------------------


async def test_a_healthy_target_is_up_with_its_status_and_timing_breakdown(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(http_client, target.url("/"))
    assert outcome.ok, outcome.error
    assert outcome.status_code == 200
    assert outcome.error_kind is None
    assert outcome.response_ms is not None
    assert outcome.response_ms > 0
    assert outcome.timings.connect_ms is not None
    assert outcome.timings.ttfb_ms is not None
    assert outcome.timings.tls_ms is None  # plain http: no handshake to time
    assert outcome.timings.dns_ms is None  # an IP literal needs no lookup
    assert outcome.ssl_expires_at is None


async def test_a_target_named_by_host_name_reports_how_long_dns_took(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(http_client, f"http://localhost:{target.port}/")
    assert outcome.ok, outcome.error
    assert outcome.timings.dns_ms is not None


async def test_a_503_is_a_status_failure_naming_the_code(http_client: HttpClient, target: WebTarget) -> None:
    outcome = await check(http_client, target.url("/status/503"))
    assert not outcome.ok
    assert outcome.error_kind is ErrorKind.STATUS
    assert outcome.error == "expected 200-299, got 503 Service Unavailable"
    assert outcome.status_code == 503
    assert outcome.response_ms is not None


async def test_an_expected_status_set_may_accept_a_non_2xx_code(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(http_client, target.url("/status/503"), expected_status="200,500-503")
    assert outcome.ok, outcome.error


async def test_a_missing_keyword_is_a_keyword_failure(http_client: HttpClient, target: WebTarget) -> None:
    assert (await check(http_client, target.url("/"), keyword="Welcome")).ok
    outcome = await check(http_client, target.url("/"), keyword="Goodbye")
    assert (outcome.error_kind, outcome.error) == (ErrorKind.KEYWORD, "keyword 'Goodbye' not found")
    assert outcome.status_code == 200


async def test_a_keyword_that_must_be_absent_fails_the_check_when_it_appears(
    http_client: HttpClient, target: WebTarget
) -> None:
    assert (await check(http_client, target.url("/"), keyword_absent="Error")).ok
    outcome = await check(http_client, target.url("/"), keyword_absent="Welcome")
    assert (outcome.error_kind, outcome.error) == (ErrorKind.KEYWORD, "keyword 'Welcome' found")


@pytest.mark.parametrize(
    ("path", "expected", "error"),
    [
        ("$.status", "up", None),
        ("$.items[0].latency", "12", None),
        ("$.checks.db", "failing", '$.checks.db is "ok", expected failing'),
        ("$.checks.cache", None, "$.checks.cache not found in the response"),
    ],
)
async def test_a_json_path_must_hold_the_expected_value(
    http_client: HttpClient, target: WebTarget, path: str, expected: str | None, error: str | None
) -> None:
    outcome = await check(http_client, target.url("/json"), json_path=path, json_expected=expected)
    assert outcome.ok is (error is None)
    assert outcome.error == error
    assert outcome.error_kind is (None if error is None else ErrorKind.JSON)


async def test_a_body_that_is_not_json_is_a_json_failure(http_client: HttpClient, target: WebTarget) -> None:
    outcome = await check(http_client, target.url("/"), json_path="$.status")
    assert (outcome.error_kind, outcome.error) == (ErrorKind.JSON, "response is not valid JSON")


async def test_method_headers_and_body_are_sent_as_configured(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(
        http_client,
        target.url("/echo"),
        method="POST",
        headers={"X-Token": "abc"},
        body="hello",
        keyword="POST|abc|hello|StatusPing/",
    )
    assert outcome.ok, outcome.error


async def test_every_check_opens_a_fresh_connection(http_client: HttpClient, target: WebTarget) -> None:
    for _ in range(3):
        assert (await check(http_client, target.url("/"))).ok
    assert len(set(target.peers)) == 3


# Redirects ------------------------------------------------------------------------------------


async def test_redirects_are_followed_and_relative_locations_resolved(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(http_client, target.url("/chain/3"), keyword="end of the chain")
    assert outcome.ok, outcome.error
    assert target.paths == ["/chain/3", "/chain/2", "/chain/1", "/chain/0"]


async def test_a_redirect_loop_gives_up_after_ten_hops(http_client: HttpClient, target: WebTarget) -> None:
    outcome = await check(http_client, target.url("/loop"))
    assert (outcome.error_kind, outcome.error) == (ErrorKind.OTHER, "too many redirects (more than 10)")
    assert len(target.paths) == 11  # the first request and ten redirects


async def test_a_303_after_a_post_is_followed_with_a_get(http_client: HttpClient, target: WebTarget) -> None:
    outcome = await check(http_client, target.url("/see-other"), method="POST", body="x", keyword="GET||")
    assert outcome.ok, outcome.error


async def test_a_redirect_is_judged_as_it_is_when_following_is_off(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(http_client, target.url("/chain/1"), follow_redirects=False)
    assert (outcome.error_kind, outcome.error) == (ErrorKind.STATUS, "expected 200-299, got 302 Found")


# Bodies: huge, slow ---------------------------------------------------------------------------


async def test_without_an_assertion_the_body_is_never_read(
    http_client: HttpClient, target: WebTarget
) -> None:
    # The dribbling body never ends within the deadline: reading it would time out.
    outcome = await check(http_client, target.url("/dribble"))
    assert outcome.ok, outcome.error


async def test_a_keyword_found_early_in_a_huge_body_stops_the_read(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(http_client, target.url("/big"), keyword="Welcome")
    assert outcome.ok, outcome.error
    await asyncio.sleep(0.05)  # let the server notice the hang-up
    assert target.big_bytes_sent < BIG_BODY_BYTES / 2


@pytest.mark.parametrize(
    "assertion", [{"keyword": "Goodbye"}, {"keyword_absent": "Goodbye"}, {"json_path": "$.status"}]
)
async def test_a_huge_body_that_must_be_read_whole_is_too_large(
    http_client: HttpClient, target: WebTarget, assertion: dict[str, Any]
) -> None:
    outcome = await check(http_client, target.url("/big"), **assertion)
    assert (outcome.error_kind, outcome.error) == (ErrorKind.TOO_LARGE, "response body exceeds 1 MiB")
    assert outcome.status_code == 200


async def test_a_body_dribbling_a_byte_a_second_times_out_when_a_keyword_needs_it(
    http_client: HttpClient, target: WebTarget
) -> None:
    started = perf_counter()
    outcome = await check(http_client, target.url("/dribble"), timeout_seconds=1, keyword="Welcome")
    assert (outcome.error_kind, outcome.error) == (ErrorKind.TIMEOUT, "timed out after 1 s")
    assert perf_counter() - started < 2


# Unreachable targets --------------------------------------------------------------------------


async def test_a_target_that_accepts_and_never_answers_times_out(http_client: HttpClient) -> None:
    async with silent_server() as port:
        started = perf_counter()
        outcome = await check(http_client, f"http://127.0.0.1:{port}/", timeout_seconds=1)
    assert (outcome.error_kind, outcome.error) == (ErrorKind.TIMEOUT, "timed out after 1 s")
    assert perf_counter() - started < 2


async def test_a_closed_port_is_connection_refused(http_client: HttpClient) -> None:
    outcome = await check(http_client, f"http://127.0.0.1:{closed_port()}/")
    assert (outcome.error_kind, outcome.error) == (ErrorKind.CONNECTION, "connection refused")
    assert outcome.response_ms is None


async def test_an_unresolvable_name_is_a_dns_failure(http_client: HttpClient) -> None:
    outcome = await check(http_client, "http://nothing-here.invalid/")
    assert (outcome.error_kind, outcome.error) == (
        ErrorKind.DNS,
        "name does not resolve: nothing-here.invalid",
    )


async def test_a_hung_target_does_not_delay_checks_running_beside_it(
    http_client: HttpClient, target: WebTarget
) -> None:
    async def timed(url: str) -> tuple[CheckOutcome, float]:
        started = perf_counter()
        outcome = await check(http_client, url, timeout_seconds=1)
        return outcome, perf_counter() - started

    async with silent_server() as port:
        hung = asyncio.create_task(timed(f"http://127.0.0.1:{port}/"))
        healthy = await asyncio.gather(*(timed(target.url("/")) for _ in range(10)))
        hung_outcome, hung_seconds = await hung
    assert hung_outcome.error_kind is ErrorKind.TIMEOUT
    assert hung_seconds <= 1 + 1  # the timeout, and never past the hard deadline
    assert all(outcome.ok for outcome, _ in healthy)
    assert max(seconds for _, seconds in healthy) < hung_seconds / 5


# TLS ------------------------------------------------------------------------------------------


async def test_https_reports_tls_time_and_the_certificate_expiry_and_issuer(
    http_client: HttpClient, certificates: Certificates
) -> None:
    leaf = certificates.ca_signed
    async with web_target(tls=leaf.server_context()) as server:
        outcome = await check(http_client, server.url("/"), verify_tls=False)
    assert outcome.ok, outcome.error
    assert outcome.timings.tls_ms is not None
    assert outcome.timings.connect_ms is not None
    assert outcome.ssl_expires_at == leaf.certificate.not_valid_after_utc
    assert outcome.ssl_issuer == CA_NAME


async def test_a_certificate_from_an_unknown_authority_is_not_trusted_when_verifying(
    http_client: HttpClient, certificates: Certificates
) -> None:
    async with web_target(tls=certificates.ca_signed.server_context()) as server:
        outcome = await check(http_client, server.url("/"))
    assert outcome.error_kind is ErrorKind.TLS
    assert outcome.error == "certificate is not trusted: unable to get local issuer certificate"
    assert outcome.ssl_expires_at == certificates.ca_signed.certificate.not_valid_after_utc


async def test_a_self_signed_certificate_fails_unless_verification_is_off(
    http_client: HttpClient, certificates: Certificates
) -> None:
    async with web_target(tls=certificates.self_signed.server_context()) as server:
        verified = await check(http_client, server.url("/"))
        unverified = await check(http_client, server.url("/"), verify_tls=False)
    assert (verified.error_kind, verified.error) == (ErrorKind.TLS, "self-signed certificate")
    assert unverified.ok, unverified.error
    assert unverified.ssl_issuer == SELF_SIGNED_NAME


async def test_an_expired_certificate_says_how_long_ago_it_expired(
    http_client: HttpClient, certificates: Certificates
) -> None:
    async with web_target(tls=certificates.expired.server_context()) as server:
        outcome = await check(http_client, server.url("/"))
    assert (outcome.error_kind, outcome.error) == (ErrorKind.TLS, "TLS certificate expired 3 days ago")
    assert outcome.ssl_expires_at == certificates.expired.certificate.not_valid_after_utc


async def test_speaking_https_to_a_plain_http_port_is_a_tls_failure(
    http_client: HttpClient, target: WebTarget
) -> None:
    outcome = await check(http_client, f"https://127.0.0.1:{target.port}/")
    assert outcome.error_kind is ErrorKind.TLS
    assert outcome.error is not None
    assert outcome.error.startswith("TLS handshake failed")


# run_check ------------------------------------------------------------------------------------


async def test_heartbeat_monitors_are_not_run_by_the_engine(http_client: HttpClient) -> None:
    with pytest.raises(ValueError, match="heartbeat"):
        await run_check(MonitorType.HEARTBEAT, {"grace_seconds": 60}, 1, http_client)


async def test_an_unexpected_error_becomes_an_other_failure_instead_of_raising(
    http_client: HttpClient,
) -> None:
    outcome = await run_check(MonitorType.HTTP, {"method": "GET"}, 1, http_client)  # no url
    assert outcome.error_kind is ErrorKind.OTHER
    assert outcome.error == "unexpected error: KeyError: 'url'"

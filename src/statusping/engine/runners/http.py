"""The http check: one request through the seam, then the monitor's assertions on what came back.

The body is read only as far as an assertion needs: not at all without one, up to the keyword when
only a keyword is asked for, and never past 1 MiB, so a 50 MB page or one that dribbles a byte a second
costs a check no more than its cap and its deadline.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from statusping.domain.checks import (
    CheckOutcome,
    ErrorKind,
    StatusSet,
    json_expectation_error,
    status_error,
)
from statusping.outbound.http import FetchError, HttpClient, HttpRequest, PeerCertificate, Response

BODY_CAP = 1024 * 1024
_CAP_TEXT = "1 MiB"

Verdict = tuple[ErrorKind, str] | None


async def run_http(config: dict[str, Any], timeout_seconds: float, client: HttpClient) -> CheckOutcome:
    expected = StatusSet.parse(config.get("expected_status") or "200-299")
    request = HttpRequest(
        method=config.get("method") or "GET",
        url=config["url"],
        headers=config.get("headers") or {},
        body=config.get("body"),
        follow_redirects=config.get("follow_redirects", True),
        verify_tls=config.get("verify_tls", True),
    )
    started = perf_counter()
    try:
        async with client.fetch(request, timeout_seconds=timeout_seconds) as fetched:
            response = fetched.response
            if response.status not in expected:
                verdict: Verdict = (
                    ErrorKind.STATUS,
                    status_error(response.status, response.reason, expected),
                )
            else:
                verdict = await judge_body(response, config)
            response_ms = round((perf_counter() - started) * 1000, 2)
    except FetchError as exc:
        return CheckOutcome.failure(exc.kind, exc.message, **_certificate_fields(exc.certificate))
    fields: dict[str, Any] = {
        "response_ms": response_ms,
        "status_code": response.status,
        "timings": fetched.timings,
        **_certificate_fields(fetched.certificate),
    }
    if verdict is not None:
        return CheckOutcome.failure(verdict[0], verdict[1], **fields)
    return CheckOutcome(ok=True, **fields)


def _certificate_fields(certificate: PeerCertificate | None) -> dict[str, Any]:
    if certificate is None:
        return {}
    return {"ssl_expires_at": certificate.expires_at, "ssl_issuer": certificate.issuer}


async def judge_body(response: Response, config: dict[str, Any]) -> Verdict:
    """Check keyword present/absent and the JSON expectation, reading no more of the body than needed."""
    keyword, absent, json_path = config.get("keyword"), config.get("keyword_absent"), config.get("json_path")
    if not (keyword or absent or json_path):
        return None  # nothing to look at: the body is never read
    wanted = _encode(keyword, response.charset) if keyword else None
    unwanted = _encode(absent, response.charset) if absent else None
    # Stop as soon as the keyword shows up, unless something else needs the whole body.
    stop_when_found = not (absent or json_path)
    body, truncated = bytearray(), False
    found = False
    async for chunk in response.chunks():
        room = BODY_CAP - len(body)
        truncated = len(chunk) > room
        start = len(body)
        body += chunk[:room]
        if wanted and not found:
            found = body.find(wanted, max(0, start - len(wanted) + 1)) >= 0
        if unwanted and body.find(unwanted, max(0, start - len(unwanted) + 1)) >= 0:
            return ErrorKind.KEYWORD, f"keyword {absent!r} found"
        if truncated or (found and stop_when_found):
            break
    if wanted and not found:
        return _too_large() if truncated else (ErrorKind.KEYWORD, f"keyword {keyword!r} not found")
    if truncated and (absent or json_path):
        return _too_large()  # absence, or a JSON document, can only be judged on the whole body
    if json_path:
        problem = json_expectation_error(bytes(body), json_path, config.get("json_expected"))
        if problem is not None:
            return ErrorKind.JSON, problem
    return None


def _too_large() -> tuple[ErrorKind, str]:
    return ErrorKind.TOO_LARGE, f"response body exceeds {_CAP_TEXT}"


def _encode(text: str, charset: str | None) -> bytes:
    """The keyword as the page's own encoding spells it, so it is found without decoding the body."""
    try:
        return text.encode(charset or "utf-8")
    except (LookupError, UnicodeEncodeError):
        return text.encode("utf-8")

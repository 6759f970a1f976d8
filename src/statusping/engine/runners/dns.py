"""The dns check: ask for one record type, optionally of a given nameserver, and compare the answers.

Answers and the expected value are compared in a normal form (lowercase, no trailing dot, TXT without
quotes, addresses canonical) because that is how people type them; an MX answer matches either
"10 mail.example.com" or just "mail.example.com".
"""

from __future__ import annotations

import ipaddress
from time import perf_counter
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdtypes.ANY.TXT
import dns.rdtypes.mxbase
import dns.resolver

from statusping.domain.checks import CheckOutcome, ErrorKind, Timings
from statusping.outbound.failures import timeout_message
from statusping.outbound.http import HttpClient

_SHOWN_ANSWERS = 5


async def run_dns(config: dict[str, Any], timeout_seconds: float, client: HttpClient) -> CheckOutcome:
    hostname, record_type = str(config["hostname"]), str(config.get("record_type") or "A")
    resolver = _resolver(config.get("nameserver"), client)
    if isinstance(resolver, CheckOutcome):
        return resolver
    resolver.timeout = resolver.lifetime = timeout_seconds
    started = perf_counter()
    try:
        answer = await resolver.resolve(
            dns.name.from_text(hostname), record_type, search=False, source=client.source_address
        )
    except dns.resolver.NXDOMAIN:
        return CheckOutcome.failure(ErrorKind.DNS, f"{hostname} does not exist (NXDOMAIN)")
    except dns.resolver.NoAnswer:
        return CheckOutcome.failure(ErrorKind.DNS, f"{hostname} has no {record_type} record")
    except dns.exception.Timeout:
        return CheckOutcome.failure(ErrorKind.TIMEOUT, timeout_message(timeout_seconds))
    except dns.exception.DNSException as exc:
        return CheckOutcome.failure(ErrorKind.DNS, f"DNS query failed: {exc}"[:300])
    elapsed = round((perf_counter() - started) * 1000, 2)
    fields: dict[str, Any] = {"response_ms": elapsed, "timings": Timings(dns_ms=elapsed)}
    expected = config.get("expected")
    if expected:
        problem = _expectation_error(answer, str(expected))
        if problem is not None:
            return CheckOutcome.failure(ErrorKind.DNS, problem, **fields)
    return CheckOutcome(ok=True, **fields)


def _split_nameserver(text: str) -> tuple[str, int]:
    """``"ip[:port]"``; an IPv6 address (several colons) carries no port, as validation allows."""
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, 53


def _resolver(nameserver: str | None, client: HttpClient) -> dns.asyncresolver.Resolver | CheckOutcome:
    """The system's resolver, or one that asks only ``nameserver`` (if the policy lets us reach it)."""
    if not nameserver:
        try:
            return dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            return CheckOutcome.failure(ErrorKind.DNS, "no DNS resolver is configured on this engine")
    address, port = _split_nameserver(nameserver)
    refusal = client.policy.refusal(address)
    if refusal is not None:
        return CheckOutcome.failure(ErrorKind.SSRF_BLOCKED, refusal)
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [address]
    resolver.port = port
    return resolver


def _expectation_error(answer: dns.resolver.Answer, expected: str) -> str | None:
    wanted = normalize_answer(expected)
    seen: list[str] = []
    for rdata in answer:
        forms = answer_forms(rdata)
        if wanted in forms:
            return None
        seen.append(forms[0])
    seen.sort()  # record sets are unordered; a stable message reads (and groups) better
    shown = ", ".join(seen[:_SHOWN_ANSWERS]) + (", …" if len(seen) > _SHOWN_ANSWERS else "")
    return f"expected {expected}, got {shown or 'no answer'}"


def answer_forms(rdata: Any) -> list[str]:
    """The normalized ways one answer may be written: its full text first."""
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return [normalize_answer(b"".join(rdata.strings).decode(errors="replace"))]
    if isinstance(rdata, dns.rdtypes.mxbase.MXBase):
        exchange = normalize_answer(rdata.exchange.to_text())
        return [f"{rdata.preference} {exchange}", exchange]
    return [normalize_answer(rdata.to_text())]


def normalize_answer(text: str) -> str:
    value = text.strip().strip('"').lower()
    value = " ".join(part.rstrip(".") for part in value.split())
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value

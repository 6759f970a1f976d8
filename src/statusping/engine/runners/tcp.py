"""The tcp check: resolve, refuse blocked addresses, connect to what is left, hang up."""

from __future__ import annotations

import asyncio
import socket
from time import perf_counter
from typing import Any

import aiohappyeyeballs

from statusping.domain.checks import CheckOutcome, ErrorKind, Timings
from statusping.domain.targets import literal_ip
from statusping.outbound.failures import connection_message, dns_failure_message, timeout_message
from statusping.outbound.http import HttpClient


async def run_tcp(config: dict[str, Any], timeout_seconds: float, client: HttpClient) -> CheckOutcome:
    host, port = str(config["host"]), int(config["port"])
    started = perf_counter()
    dns_ms: float | None = None
    try:
        async with asyncio.timeout(timeout_seconds):
            infos = await _addresses(host, port)
            if literal_ip(host) is None:
                dns_ms = _ms(started)
            # The addresses checked here are exactly the ones connected to next: no window for rebinding.
            allowed = [info for info in infos if client.policy.refusal(str(info[4][0])) is None]
            if not allowed:
                reason = client.policy.refusal(str(infos[0][4][0])) or "no address may be reached"
                return CheckOutcome.failure(ErrorKind.SSRF_BLOCKED, reason)
            connecting = perf_counter()
            sock = await aiohappyeyeballs.start_connection(allowed, socket_factory=client.socket_factory())
            connect_ms = _ms(connecting)
            sock.close()
    except TimeoutError:
        return CheckOutcome.failure(ErrorKind.TIMEOUT, timeout_message(timeout_seconds))
    except socket.gaierror as exc:
        return CheckOutcome.failure(ErrorKind.DNS, dns_failure_message(host, exc))
    except OSError as exc:
        return CheckOutcome.failure(ErrorKind.CONNECTION, connection_message(exc))
    return CheckOutcome(
        ok=True, response_ms=_ms(started), timings=Timings(dns_ms=dns_ms, connect_ms=connect_ms)
    )


async def _addresses(host: str, port: int) -> list[aiohappyeyeballs.AddrInfoType]:
    flags = socket.AI_NUMERICHOST if literal_ip(host) else 0
    loop = asyncio.get_running_loop()
    infos: list[aiohappyeyeballs.AddrInfoType] = list(
        await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=flags)
    )
    return infos


def _ms(start: float) -> float:
    return round((perf_counter() - start) * 1000, 2)

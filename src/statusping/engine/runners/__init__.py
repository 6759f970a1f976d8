"""Run one check of any engine-run type and always come back with an outcome, in bounded time.

Each runner keeps its own deadline; the one here (timeout + 1 s) is the backstop that guarantees a
check never holds a scheduler slot longer, whatever a target or a library does. The http runner
needs none: it awaits nothing but our own client (``outbound/http.py``), whose deadline covers the
whole exchange, body included — and a second timer per check is measurable at thousands a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.monitors import MonitorType
from statusping.engine.runners.dns import run_dns
from statusping.engine.runners.http import run_http
from statusping.engine.runners.tcp import run_tcp
from statusping.outbound.failures import timeout_message
from statusping.outbound.http import HttpClient

log = logging.getLogger(__name__)

Runner = Callable[[dict[str, Any], float, HttpClient], Awaitable[CheckOutcome]]

RUNNERS: dict[MonitorType, Runner] = {
    MonitorType.HTTP: run_http,
    MonitorType.TCP: run_tcp,
    MonitorType.DNS: run_dns,
}

# Runners that await only what enforces ``timeout_seconds`` already (no third-party library).
_SELF_BOUNDED = frozenset({MonitorType.HTTP})


async def run_check(
    monitor_type: MonitorType, config: dict[str, Any], timeout_seconds: float, client: HttpClient
) -> CheckOutcome:
    """Never raises for anything a target does; ``ValueError`` only for types the engine does not run."""
    runner = RUNNERS.get(monitor_type)
    if runner is None:
        raise ValueError(f"{monitor_type} monitors are not checked by the engine")
    try:
        if monitor_type in _SELF_BOUNDED:
            return await runner(config, timeout_seconds, client)
        async with asyncio.timeout(timeout_seconds + 1):
            return await runner(config, timeout_seconds, client)
    except TimeoutError:
        return CheckOutcome.failure(ErrorKind.TIMEOUT, timeout_message(timeout_seconds))
    except Exception as exc:
        log.exception("%s check failed unexpectedly", monitor_type)
        return CheckOutcome.failure(ErrorKind.OTHER, f"unexpected error: {type(exc).__name__}: {exc}"[:300])

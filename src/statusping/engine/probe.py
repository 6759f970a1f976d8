"""The engine's runners behind the ``services.ports.Prober`` port (check-now, test-now)."""

from __future__ import annotations

from typing import Any

from statusping.domain.checks import CheckOutcome
from statusping.domain.monitors import MonitorType
from statusping.engine.runners import run_check
from statusping.outbound.http import HttpClient


class EngineProber:
    def __init__(self, client: HttpClient) -> None:
        self._client = client

    async def probe(
        self, monitor_type: MonitorType, config: dict[str, Any], timeout_seconds: float
    ) -> CheckOutcome:
        return await run_check(monitor_type, config, timeout_seconds, self._client)

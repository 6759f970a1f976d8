"""Check-now: run one check of a monitor on demand, store it and feed the state machine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import MonitorType
from statusping.services import rate_limits
from statusping.services.ports import EndTransaction, Prober
from statusping.services.recording import Observation, record, result_row
from statusping.storage.models import Monitor


async def check_now(
    db: AsyncSession,
    monitor: Monitor,
    *,
    prober: Prober,
    end_transaction: EndTransaction,
    region: str,
    now: datetime,
) -> dict[str, Any]:
    """The result row as a scheduled check would record it; a paused monitor's is shown, not stored.

    Limited per monitor (``rate_limits.CHECK_NOW``): each one makes the target see a request and
    holds a slot of the web process for up to the monitor's timeout.
    """
    if monitor.type == MonitorType.HEARTBEAT.value:
        raise InvalidInput("heartbeat monitors are checked by their pings, not on demand", field="type")
    key = [f"monitor:{monitor.id}"]
    await rate_limits.enforce(db, rate_limits.CHECK_NOW, key, now)
    await rate_limits.record(db, rate_limits.CHECK_NOW, key, now)
    monitor_type, config, timeout = MonitorType(monitor.type), dict(monitor.config), monitor.timeout_seconds
    await end_transaction()
    outcome = await prober.probe(monitor_type, config, timeout)
    observation = Observation(monitor.id, outcome, now)
    if monitor.paused:
        return result_row(observation, region)  # a paused monitor keeps no history
    recorded = await record(db, [observation], region=region)
    return recorded[0].result if recorded else result_row(observation, region)

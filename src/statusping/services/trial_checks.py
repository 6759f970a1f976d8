"""Test now: run one check with a form's settings before they are saved (nothing is stored).

The check runs behind the ``Prober`` port (services/ports.py), so this use-case neither imports the
engine nor waits on the network inside a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.checks import CheckOutcome
from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import (
    CONFIG_FIELDS,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_TIMEOUT_SECONDS,
    MonitorType,
    normalize_config,
    target_of,
)
from statusping.services import rate_limits
from statusping.services.monitors import Policy, split_fields
from statusping.services.ports import EndTransaction, Prober
from statusping.storage.models import Organization

# Per organization, like check-now per monitor: enough to debug a form, too few for a load generator.
TEST_NOW = rate_limits.Limit(
    "test-now", 30, timedelta(minutes=10), "Too many test checks. Try again in a few minutes."
)


@dataclass(frozen=True, slots=True)
class Trial:
    target: str
    checked_at: datetime
    outcome: CheckOutcome


def prepare(fields: dict[str, Any], policy: Policy) -> tuple[MonitorType, dict[str, Any], float]:
    """Validate as creating the monitor would (same messages, same fields), minus the plan quota."""
    common, config = split_fields(fields)
    try:
        monitor_type = MonitorType(common.get("type") or "")
    except ValueError:
        raise InvalidInput("type must be http, tcp, dns or heartbeat", field="type") from None
    if monitor_type is MonitorType.HEARTBEAT:
        raise InvalidInput(
            "heartbeat monitors are checked by their pings: save it, then ping its URL", field="type"
        )
    allowed = set(CONFIG_FIELDS[monitor_type])
    config = {k: v for k, v in config.items() if k in allowed}
    config = normalize_config(monitor_type, config, allow_private=policy.allow_private)
    timeout = float(common.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
    if not 0 < timeout <= MAX_TIMEOUT_SECONDS:
        raise InvalidInput(
            f"timeout_seconds must be above 0 and at most {MAX_TIMEOUT_SECONDS}", field="timeout_seconds"
        )
    return monitor_type, config, timeout


async def trial_check(
    db: AsyncSession,
    org: Organization,
    fields: dict[str, Any],
    *,
    policy: Policy,
    prober: Prober,
    end_transaction: EndTransaction,
    now: datetime,
) -> Trial:
    """Validate ``fields`` and run one check with them; raises ``InvalidInput`` naming the field."""
    monitor_type, config, timeout = prepare(fields, policy)
    key = [f"org:{org.id}"]
    await rate_limits.enforce(db, TEST_NOW, key, now)
    await rate_limits.record(db, TEST_NOW, key, now)
    await end_transaction()  # no lock held while a slow target answers
    outcome = await prober.probe(monitor_type, config, timeout)
    return Trial(target=target_of(monitor_type, config), checked_at=now, outcome=outcome)

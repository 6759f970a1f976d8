"""Creating and changing monitors under the organization's plan."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import Forbidden, InvalidInput
from statusping.domain.monitors import (
    CONFIG_FIELDS,
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_RETRY_INTERVAL_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    MonitorType,
    Timing,
    check_degraded_ms,
    check_timing,
    clean_name,
    normalize_config,
)
from statusping.domain.plans import PLANS, SELFHOSTED_HISTORY_DAYS, Plan, get_plan, interval_hint
from statusping.domain.regions import check_quorum, check_regions
from statusping.domain.schedule import next_slot
from statusping.domain.schedule_cron import deadline_after_ping, expectation_of
from statusping.domain.secrets import MONITOR_SECRET_FIELDS, mask_monitor_config, merge_masked
from statusping.services.changes import DELETED, Change, note_changes
from statusping.storage.models import Monitor, MonitorPause, Organization
from statusping.storage.repositories.accounts import AccountRepository
from statusping.storage.repositories.history import HistoryRepository
from statusping.storage.repositories.monitors import MonitorRepository


@dataclass(frozen=True, slots=True)
class Policy:
    """What the deployment allows: saas enforces plans and refuses private targets."""

    enforce_plans: bool
    allow_private: bool
    min_interval_seconds: int  # self-hosted floor

    def plan_of(self, org: Organization) -> Plan | None:
        return get_plan(org.plan) if self.enforce_plans else None

    def history_days(self, org: Organization) -> int:
        plan = self.plan_of(org)
        return plan.history_days if plan else SELFHOSTED_HISTORY_DAYS

    def min_interval(self, org: Organization) -> int:
        plan = self.plan_of(org)
        return plan.min_interval_seconds if plan else self.min_interval_seconds


def _upgrade_hint(current: Plan, allows: Any) -> str:
    for plan in PLANS.values():
        if plan.price_usd_month > current.price_usd_month and allows(plan):
            return f"; the {plan.title} plan lifts it"
    return ""


def split_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the type-specific settings (stored as config) from the common ones."""
    all_config = {name for names in CONFIG_FIELDS.values() for name in names}
    config = {k: v for k, v in fields.items() if k in all_config}
    common = {k: v for k, v in fields.items() if k not in all_config}
    return common, config


def _check_config_fields(monitor_type: MonitorType, config: dict[str, Any]) -> None:
    allowed = set(CONFIG_FIELDS[monitor_type])
    for name, value in config.items():
        if name not in allowed and value is not None:
            raise InvalidInput(f"{name} does not apply to {monitor_type.value} monitors", field=name)


def _check_plan_features(plan: Plan | None, config: dict[str, Any]) -> None:
    if plan is not None and config.get("ssl_expiry_days") is not None and not plan.ssl_expiry:
        hint = _upgrade_hint(plan, lambda p: p.ssl_expiry)
        raise Forbidden(f"SSL expiry monitoring is not included in the {plan.title} plan{hint}")


async def _check_monitor_quota(db: AsyncSession, org: Organization, plan: Plan) -> None:
    limit = plan.max_monitors
    if limit is None:
        return
    # Parallel creates must count one after the other, or each sees room for itself.
    await AccountRepository(db).lock_organization(org.id)
    if await MonitorRepository(db).count(org.id) >= limit:
        hint = _upgrade_hint(plan, lambda p: p.max_monitors is None or p.max_monitors > limit)
        raise Forbidden(f"the {plan.title} plan allows {limit} monitors{hint}")


async def create_monitor(
    db: AsyncSession, org: Organization, fields: dict[str, Any], policy: Policy, now: datetime
) -> Monitor:
    plan = policy.plan_of(org)
    if plan is not None:
        await _check_monitor_quota(db, org, plan)
    common, config = split_fields(fields)
    monitor_type = MonitorType(common["type"])
    _check_config_fields(monitor_type, config)
    config = merge_masked(None, {}, config, secret_fields=MONITOR_SECRET_FIELDS)  # refuses a mask
    config = normalize_config(monitor_type, config, allow_private=policy.allow_private)
    _check_plan_features(plan, config)
    minimum = policy.min_interval(org)
    interval = int(common.get("interval_seconds") or max(minimum, 60))
    timing = Timing(
        interval_seconds=interval,
        timeout_seconds=float(common.get("timeout_seconds") or min(DEFAULT_TIMEOUT_SECONDS, interval * 0.8)),
        failure_threshold=int(common.get("failure_threshold") or DEFAULT_FAILURE_THRESHOLD),
        retry_interval_seconds=int(
            common.get("retry_interval_seconds") or min(DEFAULT_RETRY_INTERVAL_SECONDS, interval)
        ),
    )
    check_timing(
        timing,
        min_interval_seconds=minimum,
        plan_hint=plan.title if plan else None,
        lifted_by=interval_hint(plan) if plan else "",
    )
    monitor = Monitor(
        organization_id=org.id,
        name=clean_name(common.get("name")),
        type=monitor_type.value,
        interval_seconds=timing.interval_seconds,
        timeout_seconds=timing.timeout_seconds,
        failure_threshold=timing.failure_threshold,
        retry_interval_seconds=timing.retry_interval_seconds,
        public=bool(common.get("public", False)),
        regions=(regions := check_regions(common.get("regions"))),
        quorum=check_quorum(common.get("quorum"), regions),
        degraded_ms=check_degraded_ms(common.get("degraded_ms")),
        degraded_alerts=common.get("degraded_alerts") is not False,
        config=config,
        status="pending",
        paused=False,
        consecutive_failures=0,
        created_at=now,
    )
    if monitor_type is MonitorType.HEARTBEAT:
        monitor.heartbeat_token = secrets.token_urlsafe(24)
        # Waiting for the first ping: missed if none comes by the next expected one plus grace.
        monitor.next_check_at = heartbeat_deadline(monitor, now)
    else:
        monitor.next_check_at = now  # first check right away, then on its slot
    db.add(monitor)
    await db.flush()
    return monitor


async def update_monitor(
    db: AsyncSession,
    org: Organization,
    monitor: Monitor,
    fields: dict[str, Any],
    policy: Policy,
    now: datetime,
) -> Monitor:
    common, config_changes = split_fields(fields)
    if "type" in common and common["type"] != monitor.type:
        raise InvalidInput("type cannot be changed; create a new monitor", field="type")
    monitor_type = MonitorType(monitor.type)
    _check_config_fields(monitor_type, config_changes)
    plan = policy.plan_of(org)
    if (
        monitor_type is MonitorType.HEARTBEAT
        and common.get("interval_seconds")
        and "schedule" not in config_changes
    ):
        config_changes["schedule"] = None  # a heartbeat is either every N seconds or on a schedule
    if config_changes:
        # Header values and a URL's password sent back as the API showed them keep the stored ones.
        shown = mask_monitor_config(monitor.config)
        restored = merge_masked(monitor.config, shown, config_changes, secret_fields=MONITOR_SECRET_FIELDS)
        merged = {**monitor.config, **restored}
        config = normalize_config(monitor_type, merged, allow_private=policy.allow_private)
        if config.get("ssl_expiry_days") != monitor.config.get("ssl_expiry_days"):
            _check_plan_features(plan, config)
        monitor.config = config
    timing = Timing(
        interval_seconds=int(common.get("interval_seconds") or monitor.interval_seconds),
        timeout_seconds=float(common.get("timeout_seconds") or monitor.timeout_seconds),
        failure_threshold=int(common.get("failure_threshold") or monitor.failure_threshold),
        retry_interval_seconds=int(common.get("retry_interval_seconds") or monitor.retry_interval_seconds),
    )
    check_timing(
        timing,
        min_interval_seconds=policy.min_interval(org),
        plan_hint=plan.title if plan else None,
        lifted_by=interval_hint(plan) if plan else "",
    )
    interval_changed = timing.interval_seconds != monitor.interval_seconds
    monitor.interval_seconds = timing.interval_seconds
    monitor.timeout_seconds = timing.timeout_seconds
    monitor.failure_threshold = timing.failure_threshold
    monitor.retry_interval_seconds = timing.retry_interval_seconds
    if "name" in common:
        monitor.name = clean_name(common["name"])
    if "public" in common and common["public"] is not None:
        monitor.public = bool(common["public"])
    if "regions" in common and common["regions"] is not None:
        monitor.regions = check_regions(common["regions"])
    if "quorum" in common or "regions" in common:  # a shorter list may leave the quorum too high
        monitor.quorum = check_quorum(common.get("quorum", monitor.quorum), monitor.regions)
    if "degraded_ms" in common:
        monitor.degraded_ms = check_degraded_ms(common["degraded_ms"])
    if "degraded_alerts" in common and common["degraded_alerts"] is not None:
        monitor.degraded_alerts = bool(common["degraded_alerts"])
    if monitor.paused:
        pass  # resume sets the schedule
    elif monitor_type is MonitorType.HEARTBEAT:
        if interval_changed or config_changes:  # a new period, schedule or grace: a new deadline
            monitor.next_check_at = heartbeat_deadline(monitor, monitor.last_ping_at or now)
    elif interval_changed:
        monitor.next_check_at = next_slot(str(monitor.id), monitor.interval_seconds, now)
    monitor.updated_at = now
    await db.flush()
    return monitor


def heartbeat_deadline(monitor: Monitor, after: datetime) -> datetime:
    """When a heartbeat with no ping since ``after`` is missed (domain.schedule_cron)."""
    return deadline_after_ping(expectation_of(monitor.interval_seconds, monitor.config), after)


async def pause(db: AsyncSession, monitor: Monitor, now: datetime) -> None:
    if monitor.paused:
        return
    monitor.paused = True
    monitor.next_check_at = None
    monitor.updated_at = now
    # Paused time is left out of uptime, so it is remembered as a span.
    db.add(MonitorPause(monitor_id=monitor.id, started_at=now))
    await note_changes(db, [Change(monitor.organization_id, monitor.id, "paused")], now)
    await db.flush()


async def resume(db: AsyncSession, monitor: Monitor, now: datetime, *, plan: Plan | None = None) -> None:
    """Resume a paused monitor. With ``plan``, only while the plan's limit has room for one more
    active monitor: after a downgrade the extra monitors stay paused until the user pauses another
    (services/plans.py resumes on upgrade itself and passes no plan)."""
    if not monitor.paused:
        return
    if plan is not None and plan.max_monitors is not None:
        limit = plan.max_monitors
        await AccountRepository(db).lock_organization(monitor.organization_id)
        if await MonitorRepository(db).count_active(monitor.organization_id) >= limit:
            hint = _upgrade_hint(plan, lambda p: p.max_monitors is None or p.max_monitors > limit)
            raise Forbidden(
                f"the {plan.title} plan allows {limit} active monitors; pause another one first{hint}"
            )
    pause_row = await HistoryRepository(db).open_pause(monitor.id)
    if pause_row is not None:
        pause_row.ended_at = now
    monitor.paused = False
    monitor.paused_by_plan = False  # services/plans.py: resumed, by a person or an upgrade
    if monitor.type == MonitorType.HEARTBEAT.value:
        monitor.next_check_at = heartbeat_deadline(monitor, now)
    else:
        monitor.next_check_at = now
    monitor.updated_at = now
    await note_changes(db, [Change(monitor.organization_id, monitor.id, monitor.status)], now)


async def delete_monitor(db: AsyncSession, monitor: Monitor, now: datetime) -> None:
    """Delete the monitor with its history; open dashboards drop its row (the change record)."""
    await note_changes(db, [Change(monitor.organization_id, monitor.id, DELETED)], now)
    await db.delete(monitor)
    await db.flush()

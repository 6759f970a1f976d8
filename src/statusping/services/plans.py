"""Changing an organization's plan: one use-case for the CLI now and for billing later (PRODUCT.md §6).

A downgrade never deletes data. Monitors over the new limit are paused (newest first, marked
``paused_by_plan``), intervals below the new minimum are raised and SSL-expiry alerts are switched
off (the old values kept in ``monitor.plan_saved``), channels of kinds the plan lacks are kept but
marked ``suspended_by_plan`` (the dispatcher records their deliveries as not sent), and history
beyond the new window is hidden (the API answers by the current plan) but kept for 30 days
(``history_kept_days`` until ``history_kept_until``, which retention honours), then pruned.

An upgrade takes effect at once: monitors paused by the plan resume (oldest first, up to the new
limit), intervals and SSL-expiry alerts come back where the plan allows them and the user has not
changed them since, suspended channels send again, and history still kept shows again.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import Forbidden, InvalidInput, NotFound
from statusping.domain.plans import HISTORY_KEPT_AFTER_DOWNGRADE, PLANS, Plan, get_plan
from statusping.domain.schedule import next_slot
from statusping.services import monitors as monitor_service
from statusping.storage.models import Monitor, Organization
from statusping.storage.repositories.accounts import AccountRepository
from statusping.storage.repositories.channels import ChannelRepository
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.storage.repositories.plan_holds import count_paused_by_plan

ALL = 1_000_000  # an organization's monitors, read once per plan change


@dataclass(slots=True)
class PlanChange:
    """What a plan change did, for the CLI's output and the dashboard's notice."""

    organization: Organization
    old_plan: str
    new_plan: str
    paused: list[Monitor] = field(default_factory=list)
    resumed: list[Monitor] = field(default_factory=list)
    intervals_raised: list[Monitor] = field(default_factory=list)
    intervals_restored: list[Monitor] = field(default_factory=list)
    ssl_alerts_off: list[Monitor] = field(default_factory=list)
    channels_suspended: list[str] = field(default_factory=list)
    channels_resumed: list[str] = field(default_factory=list)
    history_kept_until: datetime | None = None

    def summary(self) -> list[str]:
        lines = []
        if self.paused:
            lines.append(f"{len(self.paused)} monitor(s) paused by the plan's limit")
        if self.resumed:
            lines.append(f"{len(self.resumed)} monitor(s) resumed")
        if self.intervals_raised:
            lines.append(f"{len(self.intervals_raised)} interval(s) raised to the plan's minimum")
        if self.intervals_restored:
            lines.append(f"{len(self.intervals_restored)} interval(s) restored")
        if self.ssl_alerts_off:
            lines.append(f"SSL expiry alerts off on {len(self.ssl_alerts_off)} monitor(s)")
        if self.channels_suspended:
            lines.append(
                f"{len(self.channels_suspended)} channel(s) suspended: {', '.join(self.channels_suspended)}"
            )
        if self.channels_resumed:
            lines.append(
                f"{len(self.channels_resumed)} channel(s) resumed: {', '.join(self.channels_resumed)}"
            )
        if self.history_kept_until:
            lines.append(f"older history hidden, kept until {self.history_kept_until:%Y-%m-%d %H:%M} UTC")
        return lines


async def set_plan_by_slug(
    db: AsyncSession, *, slug: str, plan: str, now: datetime, enforce: bool = True
) -> PlanChange:
    """For ``statusping org set-plan``: the organization by its slug, then :func:`change_plan`."""
    new_plan = get_plan(plan)  # ValueError for an unknown plan; the CLI offers only known ones
    org = await AccountRepository(db).org_by_slug(slug)
    if org is None:
        raise NotFound(f"no organization with slug {slug!r}")
    return await change_plan(db, org, new_plan, now, enforce=enforce)


async def change_plan(
    db: AsyncSession, org: Organization, new_plan: Plan, now: datetime, *, enforce: bool = True
) -> PlanChange:
    """Move ``org`` to ``new_plan`` and make every limit hold at once (``enforce=False``: self-hosted,
    where plans are labels only). Idempotent: setting the current plan again changes nothing more."""
    await AccountRepository(db).lock_organization(org.id)  # one change at a time, no create in between
    old_plan = get_plan(org.plan)
    change = PlanChange(org, old_plan.key.value, new_plan.key.value)
    if old_plan.key != new_plan.key:
        org.previous_plan = old_plan.key.value
        org.plan_changed_at = now
        org.plan = new_plan.key.value
    if not enforce:
        await db.flush()
        return change
    if old_plan.key != new_plan.key:
        _keep_history(org, old_plan, new_plan, now, change)
    monitors = list(await MonitorRepository(db).list_for(org.id, limit=ALL, offset=0))
    for monitor in monitors:
        _fit_settings(monitor, new_plan, now, change)
    await _fit_monitor_count(db, monitors, new_plan, now, change)
    for channel in await ChannelRepository(db).list_for(org.id):
        allowed = channel.kind in new_plan.channels
        if channel.suspended_by_plan and allowed:
            channel.suspended_by_plan = False
            change.channels_resumed.append(channel.name)
        elif not channel.suspended_by_plan and not allowed:
            channel.suspended_by_plan = True
            change.channels_suspended.append(channel.name)
    await db.flush()
    return change


def _keep_history(org: Organization, old: Plan, new: Plan, now: datetime, change: PlanChange) -> None:
    """Retention keeps max(new plan's window, kept days) until ``history_kept_until``."""
    still_kept = org.history_kept_until is not None and org.history_kept_until > now
    shown_before = max(old.history_days, (org.history_kept_days or 0) if still_kept else 0)
    if new.history_days < shown_before:
        org.history_kept_days = shown_before
        org.history_kept_until = now + HISTORY_KEPT_AFTER_DOWNGRADE
        change.history_kept_until = org.history_kept_until


def _fit_settings(monitor: Monitor, plan: Plan, now: datetime, change: PlanChange) -> None:
    """Raise a too-short interval and switch off SSL-expiry alerts the plan lacks, keeping the old
    values; put them back when the plan allows them again and the user has not changed them since."""
    saved = dict(monitor.plan_saved or {})
    if monitor.interval_seconds < plan.min_interval_seconds:
        if "interval_seconds" not in saved:
            saved["interval_seconds"] = monitor.interval_seconds
        saved["raised_to"] = plan.min_interval_seconds
        _set_interval(monitor, plan.min_interval_seconds, now)
        change.intervals_raised.append(monitor)
    elif "interval_seconds" in saved:
        wanted = int(saved["interval_seconds"])
        if monitor.interval_seconds == saved.get("raised_to"):  # untouched since the downgrade
            target = max(wanted, plan.min_interval_seconds)
            if target != monitor.interval_seconds:
                _set_interval(monitor, target, now)
                change.intervals_restored.append(monitor)
            if target == wanted:
                saved.pop("interval_seconds")
                saved.pop("raised_to", None)
            else:
                saved["raised_to"] = target
        else:
            saved.pop("interval_seconds")
            saved.pop("raised_to", None)
    ssl_days = monitor.config.get("ssl_expiry_days")
    if ssl_days is not None and not plan.ssl_expiry:
        saved["ssl_expiry_days"] = ssl_days
        monitor.config = {**monitor.config, "ssl_expiry_days": None}
        change.ssl_alerts_off.append(monitor)
    elif "ssl_expiry_days" in saved and plan.ssl_expiry:
        if ssl_days is None:
            monitor.config = {**monitor.config, "ssl_expiry_days": saved["ssl_expiry_days"]}
        saved.pop("ssl_expiry_days")
    monitor.plan_saved = saved or None


def _set_interval(monitor: Monitor, seconds: int, now: datetime) -> None:
    monitor.interval_seconds = seconds
    # Timeout and retry stay within the interval, as check_timing requires.
    monitor.retry_interval_seconds = min(monitor.retry_interval_seconds, seconds)
    monitor.updated_at = now
    if not monitor.paused and monitor.type != "heartbeat":
        monitor.next_check_at = next_slot(str(monitor.id), seconds, now)


async def _fit_monitor_count(
    db: AsyncSession, monitors: list[Monitor], plan: Plan, now: datetime, change: PlanChange
) -> None:
    limit = plan.max_monitors
    active = [m for m in monitors if not m.paused]
    if limit is not None and len(active) > limit:
        newest_first = sorted(active, key=lambda m: (m.created_at, str(m.id)), reverse=True)
        for monitor in newest_first[: len(active) - limit]:
            await monitor_service.pause(db, monitor, now)
            monitor.paused_by_plan = True
            change.paused.append(monitor)
        return
    room = None if limit is None else limit - len(active)
    held = sorted((m for m in monitors if m.paused_by_plan), key=lambda m: (m.created_at, str(m.id)))
    for monitor in held if room is None else held[:room]:
        await monitor_service.resume(db, monitor, now)
        change.resumed.append(monitor)


@dataclass(slots=True)
class KeptActive:
    """What choosing the monitors to keep did, for the page's notice."""

    paused: list[Monitor] = field(default_factory=list)
    resumed: list[Monitor] = field(default_factory=list)


async def keep_active(
    db: AsyncSession, org: Organization, keep: Collection[uuid.UUID], plan: Plan | None, now: datetime
) -> KeptActive:
    """After a downgrade, the user picks which monitors stay active instead of "newest paused first".

    Only monitors in play are touched: the active ones and those the plan paused. Chosen monitors the
    plan paused resume; active ones left out are paused by the plan (an upgrade resumes them). A
    monitor the user paused themselves stays as it is (choosing it is refused: resume it instead).
    Under the organization's row lock, like every count against the limit (services/monitors.py).
    """
    await AccountRepository(db).lock_organization(org.id)
    monitors = {m.id: m for m in await MonitorRepository(db).list_for(org.id, limit=ALL, offset=0)}
    chosen = set(keep)
    if chosen - monitors.keys():
        raise NotFound("monitor not found")
    if any(monitors[key].paused and not monitors[key].paused_by_plan for key in chosen):
        raise InvalidInput("a monitor you paused yourself cannot be chosen here: resume it", "monitor_ids")
    limit = plan.max_monitors if plan is not None else None
    if plan is None or limit is None:  # nothing to choose; "paused by the plan" would mean nothing
        where = f"the {plan.title} plan" if plan is not None else "this installation"
        raise InvalidInput(f"{where} has no monitor limit: every monitor can be active", "monitor_ids")
    if len(chosen) > limit:
        raise Forbidden(f"the {plan.title} plan allows {limit} active monitors{_lifted_by(plan, limit)}")
    result = KeptActive()
    in_play = [m for m in monitors.values() if not m.paused or m.paused_by_plan]
    for monitor in in_play:
        if monitor.id not in chosen and not monitor.paused:
            await monitor_service.pause(db, monitor, now)
            monitor.paused_by_plan = True
            result.paused.append(monitor)
    for monitor in in_play:
        if monitor.id in chosen and monitor.paused:
            await monitor_service.resume(db, monitor, now)
            result.resumed.append(monitor)
    await db.flush()
    return result


def _lifted_by(plan: Plan, limit: int) -> str:
    for other in PLANS.values():
        if other.price_usd_month > plan.price_usd_month and (
            other.max_monitors is None or other.max_monitors > limit
        ):
            return f"; the {other.title} plan lifts it"
    return ""


async def paused_by_plan(db: AsyncSession, org: Organization) -> int:
    """How many of the organization's monitors a downgrade paused (the dashboard's notice)."""
    return await count_paused_by_plan(db, org.id)

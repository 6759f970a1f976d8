"""Building the engine's pieces from the settings (shared by `serve` and `worker`)."""

from __future__ import annotations

from pathlib import Path

from statusping.config import Mode, Settings, sqlite_path
from statusping.domain.plans import PLANS, SELFHOSTED_HISTORY_DAYS, PlanKey
from statusping.engine.retention import RetentionRules
from statusping.engine.worker import EngineOptions
from statusping.outbound.http import TargetPolicy


def target_policy(settings: Settings) -> TargetPolicy:
    return TargetPolicy(allow_private=settings.private_targets_allowed)


def retention_rules(settings: Settings) -> RetentionRules:
    if settings.mode is Mode.SAAS:
        history = {plan.key.value: plan.history_days for plan in PLANS.values()}
    else:
        history = {plan.value: SELFHOSTED_HISTORY_DAYS for plan in PlanKey}
    return RetentionRules(history_days=history, raw_days=settings.raw_retention_days)


def engine_options(settings: Settings) -> EngineOptions:
    return EngineOptions(
        region=settings.region,
        region_beat=settings.region_beat_seconds,
        region_live_window=settings.region_live_seconds,
        concurrency=settings.engine_concurrency,
        retention=retention_rules(settings),
        stall_after=settings.loop_stall_seconds,
        # SQLite allows one writer; a second engine would only contend for the lock.
        singleton=settings.is_sqlite,
        lock_path=engine_lock_path(settings),
    )


def engine_lock_path(settings: Settings) -> Path | None:
    """On a SQLite file: the file beside it whose OS lock marks the one live engine (engine/os_lock.py)."""
    path = sqlite_path(settings.database_url) if settings.is_sqlite else None
    return None if path is None else path.with_name(f"{path.name}.engine-lock")

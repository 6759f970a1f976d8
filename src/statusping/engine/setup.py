"""Building the engine's pieces from the settings (shared by `serve` and `worker`)."""

from __future__ import annotations

from statusping.config import Settings
from statusping.engine.http import TargetPolicy
from statusping.engine.worker import EngineOptions


def target_policy(settings: Settings) -> TargetPolicy:
    return TargetPolicy(allow_private=settings.private_targets_allowed)


def engine_options(settings: Settings) -> EngineOptions:
    return EngineOptions(
        region=settings.region,
        concurrency=settings.engine_concurrency,
        # SQLite allows one writer; a second engine would only contend for the lock.
        singleton=settings.is_sqlite,
    )

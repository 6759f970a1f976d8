"""The deployment's rules (plans enforced or not, private targets) as services understand them."""

from __future__ import annotations

from statusping.config import Mode, Settings
from statusping.services.monitors import Policy


def policy_of(settings: Settings) -> Policy:
    return Policy(
        enforce_plans=settings.mode is Mode.SAAS,
        allow_private=settings.private_targets_allowed,
        min_interval_seconds=settings.min_interval_seconds,
    )

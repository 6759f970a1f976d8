"""What use-cases need from the drivers, as ports: services say what they need, drivers supply it.

``services/`` may not import ``engine/`` or ``notifications/``; a use-case that runs a check or
sends through a channel takes one of these instead. The implementations (``engine/probe.py``,
``notifications/sender.py``) are built once in the app lifespan and handed to routes by
``web/deps.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from statusping.domain.checks import CheckOutcome
from statusping.domain.monitors import MonitorType


class Prober(Protocol):
    async def probe(
        self, monitor_type: MonitorType, config: dict[str, Any], timeout_seconds: float
    ) -> CheckOutcome:
        """Run one check of an engine-run type; never raises for anything the target does."""
        ...


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    error: str | None
    permanent: bool
    duration_ms: float


class ChannelSender(Protocol):
    async def send(
        self, kind: str, config: dict[str, Any], event: str, payload: dict[str, Any]
    ) -> SendResult:
        """Build the message for ``event`` from ``payload`` and try it once through the channel;
        never raises for a delivery failure."""
        ...


class ChannelKinds(Protocol):
    """Each channel kind's config schema (notifications/<kind>/config.py): validate, show, patch."""

    def validate(self, kind: str, config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
        """The normalized config, or ``InvalidInput`` naming ``config.<field>``."""
        ...

    def public(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        """The config as answers show it: secrets masked."""
        ...

    def merge(self, kind: str, stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """A PATCH applied to the stored config (masked values sent back keep the secret)."""
        ...


# Ends the caller's current transaction, keeping what was written so far; the next statement opens
# a new one that the caller's unit of work commits. A use-case calls it before waiting on the
# network, so no lock (on SQLite: the database's write lock) is held while a slow target answers.
EndTransaction = Callable[[], Awaitable[None]]

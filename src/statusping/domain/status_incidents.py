"""Communication incidents: what a page's owner tells visitors, in Statuspage's vocabulary.

An incident moves through investigating → identified → monitoring → resolved (any order; a new
update on a resolved incident reopens it), carries an impact (none / minor / major / critical) and
names the components it affects. It never changes a component's measured status (that is what
the monitors say); it raises the page's banner to at least its impact while it is open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from statusping.domain.errors import InvalidInput
from statusping.domain.status_page import ComponentStatus, Overall


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


STATUS_TITLES = {
    IncidentStatus.INVESTIGATING: "Investigating",
    IncidentStatus.IDENTIFIED: "Identified",
    IncidentStatus.MONITORING: "Monitoring",
    IncidentStatus.RESOLVED: "Resolved",
}
MAX_TITLE = 200
MAX_MESSAGE = 20_000

# What an open incident of this impact says about the components it names (Statuspage's
# affected_components) and the banner it raises the page to at least.
IMPACT_COMPONENT_STATUS = {
    Impact.NONE: ComponentStatus.OPERATIONAL,
    Impact.MINOR: ComponentStatus.DEGRADED,
    Impact.MAJOR: ComponentStatus.PARTIAL,
    Impact.CRITICAL: ComponentStatus.MAJOR,
}
_IMPACT_BANNER = {
    Impact.NONE: Overall.OPERATIONAL,
    Impact.MINOR: Overall.DEGRADED,
    Impact.MAJOR: Overall.PARTIAL,
    Impact.CRITICAL: Overall.MAJOR,
}
_BANNER_SEVERITY = {
    Overall.OPERATIONAL: 0,
    Overall.MAINTENANCE: 1,
    Overall.DEGRADED: 2,
    Overall.PARTIAL: 3,
    Overall.MAJOR: 4,
}


@dataclass(frozen=True, slots=True)
class PostedUpdate:
    id: str
    status: IncidentStatus
    body: str  # markdown, as written
    created_at: datetime

    @property
    def status_title(self) -> str:
        return STATUS_TITLES[self.status]


@dataclass(frozen=True, slots=True)
class PostedIncident:
    """A communication incident as the public sees it; updates newest first."""

    id: str
    title: str
    status: IncidentStatus
    impact: Impact
    component_ids: list[str]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: list[PostedUpdate] = field(default_factory=list)

    @property
    def started_at(self) -> datetime:
        return self.created_at

    @property
    def active(self) -> bool:
        return self.status is not IncidentStatus.RESOLVED

    @property
    def status_title(self) -> str:
        return STATUS_TITLES[self.status]

    @property
    def duration_minutes(self) -> int | None:
        if self.resolved_at is None:
            return None
        return round((self.resolved_at - self.created_at).total_seconds() / 60)

    @property
    def monitoring_at(self) -> datetime | None:
        """When it first moved to monitoring (None if it never did)."""
        return min(
            (u.created_at for u in self.updates if u.status is IncidentStatus.MONITORING), default=None
        )

    def showing(self, public_ids: Iterable[str]) -> PostedIncident:
        """The incident naming only components the public may see."""
        allowed = set(public_ids)
        return replace(self, component_ids=[c for c in self.component_ids if c in allowed])


def banner(computed: Overall, incidents: Iterable[PostedIncident]) -> Overall:
    """The worst of what the monitors say and the impact of the incidents still open."""
    candidates = [computed, *(_IMPACT_BANNER[i.impact] for i in incidents if i.active)]
    return max(candidates, key=_BANNER_SEVERITY.__getitem__)


def clean_title(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise InvalidInput("title must not be empty", field="title")
    if len(text) > MAX_TITLE:
        raise InvalidInput(f"title must be at most {MAX_TITLE} characters", field="title")
    return text


def clean_message(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput("message must not be empty", field="message")
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(f"message must be at most {MAX_MESSAGE} characters", field="message")
    return text

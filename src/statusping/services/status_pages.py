"""Public status pages: what a page shows right now, and editing what it shows.

``view()`` computes a whole page — components with their status, 90-day bars and uptime figures,
the banner, incidents and maintenance — from a handful of queries (see
``storage.repositories.status_pages``). Only public monitors ever reach a view.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import InvalidInput
from statusping.domain.intervals import Span
from statusping.domain.maintenance import Window as MaintenanceWindow
from statusping.domain.status_incidents import (
    STATUS_TITLES,
    IncidentStatus,
    PostedIncident,
    PostedUpdate,
    banner,
)
from statusping.domain.status_page import (
    DAY,
    INDICATORS,
    ComponentStatus,
    DayCell,
    Overall,
    component_status,
    day_cells,
    overall_status,
    worst,
)
from statusping.domain.uptime import Window, uptime, window_allowed
from statusping.services.maintenances import as_window
from statusping.storage.models import (
    Incident,
    Maintenance,
    MonitorPause,
    Organization,
    StatusPage,
    StatusPageComponent,
)
from statusping.storage.repositories.maintenances import MaintenanceRepository
from statusping.storage.repositories.status_incidents import StatusIncidentRepository
from statusping.storage.repositories.status_pages import ComponentRow, StatusPageRepository

PAGE_WINDOWS = (Window.DAY, Window.WEEK, Window.MONTH, Window.QUARTER)
MAINTENANCE_AHEAD = timedelta(days=30)  # upcoming windows further out are not announced yet
COMPLETED_KEPT = timedelta(days=14)  # ended windows stay listed (as "completed") this long
MAX_MAINTENANCES = 50  # scheduled-maintenances.json lists the 50 most recent, as Statuspage's does
MAX_COMPONENTS = 200
_GROUP_NAMESPACE = uuid.UUID("0f5e3c1a-7d2b-4c8e-9a61-3b7f2d9e4c10")


@dataclass(frozen=True, slots=True)
class ComponentView:
    id: str
    name: str
    group: str | None
    position: int
    status: ComponentStatus
    created_at: datetime
    updated_at: datetime  # the last change of its status: an outage began or ended
    days: list[DayCell]
    uptime: dict[str, float | None]  # window → percent; None beyond the plan's history or no data

    @property
    def notable_days(self) -> list[DayCell]:
        """The days with downtime, newest first: the page's daily history under the bar."""
        return [c for c in reversed(self.days) if c.level != "up" and c.level != "none"]


@dataclass(frozen=True, slots=True)
class GroupView:
    id: str | None  # None: the components outside any group
    name: str | None
    status: ComponentStatus
    components: list[ComponentView]


@dataclass(frozen=True, slots=True)
class IncidentView:
    """An automatic incident: a confirmed outage of one component. Its cause is never shown
    publicly (it may name internal hosts); the page says which service and since when."""

    id: str
    component_id: str
    component_name: str
    started_at: datetime
    confirmed_at: datetime
    resolved_at: datetime | None
    # What the page's owner added to its timeline (services/status_incidents.py:annotate), newest first.
    notes: list[PostedUpdate] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.component_name} is unavailable"

    @property
    def status(self) -> str:
        """Resolved once the monitor answers again (a fact, whatever was written); until then the
        latest update's status, investigating before any."""
        if self.resolved_at is not None:
            return IncidentStatus.RESOLVED.value
        return self.notes[0].status.value if self.notes else IncidentStatus.INVESTIGATING.value

    @property
    def status_title(self) -> str:
        return STATUS_TITLES[IncidentStatus(self.status)]

    @property
    def updated_at(self) -> datetime:
        return max([self.resolved_at or self.confirmed_at, *(n.created_at for n in self.notes)])

    @property
    def duration_minutes(self) -> int | None:
        if self.resolved_at is None:
            return None
        return round((self.resolved_at - self.started_at).total_seconds() / 60)


@dataclass(frozen=True, slots=True)
class MaintenanceView:
    id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    active: bool
    component_ids: list[str]
    created_at: datetime
    completed: bool = False  # ended (kept a while, as Statuspage's scheduled-maintenances.json does)


@dataclass(frozen=True, slots=True)
class PageView:
    id: str
    slug: str
    title: str
    description: str | None
    overall: Overall
    groups: list[GroupView]
    components: list[ComponentView]
    incidents: list[IncidentView]  # of the bar's days, newest first
    maintenances: list[MaintenanceView]  # in progress or starting within MAINTENANCE_AHEAD
    windows: list[str]  # the uptime windows the plan's history covers
    show_powered_by: bool
    created_at: datetime
    updated_at: datetime
    generated_at: datetime
    group_ids: dict[str, str] = field(default_factory=dict)
    # Communication incidents: open ones and those resolved in the bar's days, newest first.
    posted: list[PostedIncident] = field(default_factory=list)
    # Branding the plan allows (set by the caller: services/status_page_settings.py:public_branding).
    logo_url: str | None = None
    brand_color: str | None = None
    custom_css: bool = False  # the page links its own stylesheet, /s/{slug}/custom.css (business)
    # A private page's password fingerprint (services/page_access.py:gate_of); None: public.
    gate: str | None = None
    # Windows that ended within COMPLETED_KEPT, latest end first (each window once: its last one).
    completed_maintenances: list[MaintenanceView] = field(default_factory=list)

    @property
    def indicator(self) -> str:
        return INDICATORS[self.overall][0]

    @property
    def description_text(self) -> str:
        return INDICATORS[self.overall][1]

    @property
    def active_incidents(self) -> list[IncidentView]:
        return [i for i in self.incidents if i.resolved_at is None]

    @property
    def active_posted(self) -> list[PostedIncident]:
        return [p for p in self.posted if p.active]


async def by_slug(db: AsyncSession, slug: str) -> tuple[StatusPage, Organization] | None:
    return await StatusPageRepository(db).by_slug(slug.lower())


async def view(
    db: AsyncSession,
    page: StatusPage,
    org: Organization,
    *,
    history_days: int,
    powered_by: bool,
    now: datetime,
) -> PageView:
    repo = StatusPageRepository(db)
    rows = await _visible_rows(repo, page, org)
    ids = [r.monitor_id for r in rows]
    start = (now - Window.QUARTER.duration).replace(hour=0, minute=0, second=0, microsecond=0)
    checked = await repo.checked_days(ids, start, now + DAY)
    told = await StatusIncidentRepository(db).automatic_told(page.id, ids, start, now)
    incidents = [incident for incident, _ in told]
    pauses = await repo.pauses(ids, start, now)
    # Only windows that can touch the bars or the coming month, each expanded once for every lookup.
    horizon = now + MAINTENANCE_AHEAD
    maintenance_rows = await MaintenanceRepository(db).that_can_be_active([org.id], start, horizon)
    windows = [as_window(m).expanded(start, horizon) for m in maintenance_rows]

    asof = _as_of(now, rows, incidents, pauses)
    outages: dict[uuid.UUID, list[Span]] = {}
    changed: dict[uuid.UUID, datetime] = {}
    for incident in incidents:
        outages.setdefault(incident.monitor_id, []).append(
            _until(incident.started_at, incident.resolved_at, asof)
        )
        moment = incident.resolved_at or incident.confirmed_at
        changed[incident.monitor_id] = max(moment, changed.get(incident.monitor_id, moment))
    excluded: dict[uuid.UUID, list[Span]] = {}
    for pause in pauses:
        excluded.setdefault(pause.monitor_id, []).append(_until(pause.started_at, pause.ended_at, asof))
    history_from = asof - timedelta(days=history_days)
    # Each window's spans once, not once per component.
    window_spans = [(w, w.spans(start, asof)) for w in windows]
    components = []
    for row in rows:
        status = component_status(
            row.status, paused=row.paused, in_maintenance=_in_maintenance(windows, row.monitor_id, now)
        )
        if status is None:
            continue
        holes = excluded.get(row.monitor_id, []) + [
            s for w, spans in window_spans if w.applies_to(str(row.monitor_id)) for s in spans
        ]
        spans = outages.get(row.monitor_id, [])
        components.append(
            ComponentView(
                id=str(row.monitor_id),
                name=row.name,
                group=row.group,
                position=row.position,
                status=status,
                created_at=row.created_at,
                updated_at=max(row.created_at, changed.get(row.monitor_id, row.created_at)),
                days=day_cells(
                    now=asof, monitored_from=row.created_at, history_from=history_from,
                    outages=spans, excluded=holes, checks_by_day=checked.get(row.monitor_id, set()),
                ),
                uptime=_uptimes(row, spans, holes, history_days, asof),
            )
        )  # fmt: skip
    shown = {c.id: c for c in components}
    groups = _groups(str(page.id), components)
    posted = [p.showing(shown) for p in await StatusIncidentRepository(db).recent(page.id, start)]
    page_incidents = [
        IncidentView(str(i.id), str(i.monitor_id), shown[str(i.monitor_id)].name, i.started_at,
                     i.confirmed_at, i.resolved_at, notes)
        for i, notes in told
        if str(i.monitor_id) in shown and page.show_automatic_incidents
    ]  # fmt: skip
    edited = page.updated_at or page.created_at
    return PageView(
        id=str(page.id),
        slug=page.slug,
        title=page.title,
        description=page.description,
        overall=banner(overall_status([c.status for c in components]), posted),
        groups=groups,
        components=components,
        incidents=page_incidents,
        maintenances=_maintenances(maintenance_rows, shown, now),
        completed_maintenances=_completed(maintenance_rows, shown, now),
        windows=[w.value for w in PAGE_WINDOWS if window_allowed(w, history_days)],
        show_powered_by=powered_by,
        created_at=page.created_at,
        updated_at=max(
            [edited, *(c.updated_at for c in components), *(p.updated_at for p in posted)]
            + [i.updated_at for i in page_incidents]
        ),
        generated_at=asof,
        group_ids={g.name: g.id for g in groups if g.name is not None and g.id is not None},
        posted=posted,
    )


async def visible_components(db: AsyncSession, page: StatusPage, org: Organization) -> list[ComponentRow]:
    return await _visible_rows(StatusPageRepository(db), page, org)


async def _visible_rows(
    repo: StatusPageRepository, page: StatusPage, org: Organization
) -> list[ComponentRow]:
    """The chosen components, or every public monitor when none are chosen; never a private one."""
    rows = await repo.configured(page.id)
    if not rows:
        rows = await repo.public_monitors(org.id)
    return [r for r in rows if r.public]


def _as_of(
    now: datetime, rows: list[ComponentRow], incidents: Sequence[Incident], pauses: Sequence[MonitorPause]
) -> datetime:
    """When the figures are computed: the start of this minute, or the latest event if later.

    Statuses and incidents are always live. Figures of a running outage would change with every
    request; as of the minute, the page's bytes (and its ETag) change once a minute at most, and at
    once when something happens (an outage begins or ends, a monitor is added or paused).
    """
    events = [r.created_at for r in rows]
    events += [t for i in incidents for t in (i.started_at, i.resolved_at) if t is not None]
    events += [t for p in pauses for t in (p.started_at, p.ended_at) if t is not None]
    return min(now, max([now.replace(second=0, microsecond=0), *events]))


def _until(begin: datetime, end: datetime | None, asof: datetime) -> Span:
    """A span cut at ``asof``; one still running (or begun after ``asof``) ends there."""
    return (min(begin, asof), min(end or asof, asof))


def _in_maintenance(windows: list[MaintenanceWindow], monitor_id: uuid.UUID, now: datetime) -> bool:
    return any(w.applies_to(str(monitor_id)) and w.active_at(now) for w in windows)


def _uptimes(
    row: ComponentRow, outages: list[Span], excluded: list[Span], history_days: int, now: datetime
) -> dict[str, float | None]:
    figures: dict[str, float | None] = {}
    for window in PAGE_WINDOWS:
        if not window_allowed(window, history_days):
            figures[window.value] = None
            continue
        figure = uptime(
            start=now - window.duration, end=now, monitored_from=row.created_at,
            outages=outages, excluded=excluded,
        )  # fmt: skip
        figures[window.value] = None if figure.uptime_percent is None else round(figure.uptime_percent, 2)
    return figures


def group_id(page_id: str, name: str) -> str:
    """A stable id for a group (Statuspage lists groups as components with ``group: true``)."""
    return str(uuid.uuid5(_GROUP_NAMESPACE, f"{page_id}/{name}"))


def _groups(page_id: str, components: list[ComponentView]) -> list[GroupView]:
    """Groups in the order of their first component; ungrouped components form their own runs."""
    groups: list[GroupView] = []
    by_name: dict[str, GroupView] = {}
    for component in components:
        name = component.group
        if name is None:
            if groups and groups[-1].name is None:
                groups[-1].components.append(component)
            else:
                groups.append(GroupView(None, None, ComponentStatus.OPERATIONAL, [component]))
            continue
        if name not in by_name:
            by_name[name] = GroupView(group_id(page_id, name), name, ComponentStatus.OPERATIONAL, [])
            groups.append(by_name[name])
        by_name[name].components.append(component)
    return [GroupView(g.id, g.name, worst(c.status for c in g.components), g.components) for g in groups]


def _maintenances(
    rows: Sequence[Maintenance], shown: dict[str, ComponentView], now: datetime
) -> list[MaintenanceView]:
    found = []
    for row in rows:
        window = as_window(row)
        touched = [cid for cid in shown if window.applies_to(cid)]
        if not touched:
            continue  # a window over private monitors only is nobody's business
        spans = window.spans(now, now + MAINTENANCE_AHEAD)
        if not spans:
            continue
        begins, ends = spans[0]
        found.append(
            MaintenanceView(str(row.id), row.title, begins, ends, begins <= now, touched, row.created_at)
        )
    return sorted(found, key=lambda m: (m.starts_at, m.id))


def _completed(
    rows: Sequence[Maintenance], shown: dict[str, ComponentView], now: datetime
) -> list[MaintenanceView]:
    """Each window's latest occurrence that ended within COMPLETED_KEPT, unless the window is still
    running or coming (then it is listed as that: one entry per window, as its id is)."""
    found = []
    for row in rows:
        window = as_window(row)
        touched = [cid for cid in shown if window.applies_to(cid)]
        if not touched or window.spans(now, now + MAINTENANCE_AHEAD):
            continue
        ended = [(b, e) for b, e in window.spans(now - COMPLETED_KEPT, now) if e <= now]
        if not ended:
            continue
        begins, ends = ended[-1]
        found.append(
            MaintenanceView(
                str(row.id), row.title, begins, ends, False, touched, row.created_at, completed=True
            )
        )
    return sorted(found, key=lambda m: (m.ends_at, m.id), reverse=True)


# Management ---------------------------------------------------------------------------------


async def list_pages(db: AsyncSession, org: Organization) -> list[StatusPage]:
    return list(await StatusPageRepository(db).list_for(org.id))


async def get_page(db: AsyncSession, org: Organization, page_id: str) -> StatusPage | None:
    try:
        key = uuid.UUID(page_id)
    except ValueError:
        return None
    return await StatusPageRepository(db).get(org.id, key)


async def configured_components(db: AsyncSession, page: StatusPage) -> list[ComponentRow]:
    return await StatusPageRepository(db).configured(page.id)


async def update_page(
    db: AsyncSession, org: Organization, page: StatusPage, fields: dict[str, Any], now: datetime
) -> StatusPage:
    """Apply ``title``, ``description`` and ``components`` (the whole list, in display order)."""
    repo = StatusPageRepository(db)
    if "title" in fields:
        page.title = _clean_title(fields["title"])
    if "description" in fields:
        text = (fields["description"] or "").strip()
        page.description = text or None
    if "components" in fields:
        wanted = await _check_components(repo, org, fields["components"] or [])
        await repo.replace_components(
            page.id,
            [
                StatusPageComponent(status_page_id=page.id, monitor_id=mid, display_name=name,
                                    group_name=group, position=n, created_at=now)
                for n, (mid, name, group) in enumerate(wanted)
            ],
        )  # fmt: skip
    page.updated_at = now
    await db.flush()
    return page


def _clean_title(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput("title must not be empty", field="title")
    if len(text) > 120:
        raise InvalidInput("title must be at most 120 characters", field="title")
    return text


async def _check_components(
    repo: StatusPageRepository, org: Organization, items: list[dict[str, Any]]
) -> list[tuple[uuid.UUID, str | None, str | None]]:
    if len(items) > MAX_COMPONENTS:
        raise InvalidInput(f"a page shows at most {MAX_COMPONENTS} components", field="components")
    wanted: list[tuple[uuid.UUID, str | None, str | None]] = []
    for item in items:
        text = str(item.get("monitor_id"))
        try:
            key = uuid.UUID(text)
        except ValueError:
            raise InvalidInput(f"unknown monitor id {text!r}", field="components") from None
        if any(key == w[0] for w in wanted):
            raise InvalidInput(f"monitor {text} is listed twice", field="components")
        wanted.append((key, _clean_name(item.get("display_name")), _clean_name(item.get("group"))))
    found = await repo.monitors_of_org(org.id, [w[0] for w in wanted])
    for key, _, _ in wanted:
        if key not in found:
            raise InvalidInput(f"unknown monitor id {str(key)!r}", field="components")
        if not found[key]:
            raise InvalidInput(
                f"monitor {key} is private: set public=true on it to show it on a status page",
                field="components",
            )
    return wanted


def _clean_name(value: Any) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None

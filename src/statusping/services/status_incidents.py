"""Communication incidents of a status page: post, update, edit, delete; and the page's history.

The words are the owner's; the components they name must be components the public can see on
that page (a private monitor named in a public post would leak it). Reading a page's incidents
for its render is ``StatusIncidentRepository.recent`` (see ``services.status_pages.view``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import InvalidInput, NotFound
from statusping.domain.status_incidents import (
    Impact,
    IncidentStatus,
    PostedIncident,
    PostedUpdate,
    clean_message,
    clean_title,
)
from statusping.services import status_pages, subscribers
from statusping.services.status_pages import IncidentView
from statusping.storage.models import (
    AutomaticIncidentUpdate,
    Organization,
    StatusIncident,
    StatusIncidentUpdate,
    StatusPage,
)
from statusping.storage.repositories.status_incidents import StatusIncidentRepository, posted

MAX_COMPONENTS = status_pages.MAX_COMPONENTS


async def list_for(
    db: AsyncSession, page: StatusPage, *, offset: int, limit: int
) -> tuple[list[PostedIncident], int]:
    """A page of the page's incidents, newest first, and how many there are in all."""
    repo = StatusIncidentRepository(db)
    rows = await repo.list_for(page.id, offset=offset, limit=limit)
    updates = await repo.updates_of([r.id for r in rows])
    return [posted(r, updates[r.id]) for r in rows], await repo.count_for(page.id)


async def get(db: AsyncSession, page: StatusPage, incident_id: str) -> StatusIncident | None:
    try:
        key = uuid.UUID(incident_id)
    except ValueError:
        return None
    return await StatusIncidentRepository(db).get(page.id, key)


async def as_posted(db: AsyncSession, incident: StatusIncident) -> PostedIncident:
    updates = await StatusIncidentRepository(db).updates_of([incident.id])
    return posted(incident, updates[incident.id])


async def create(
    db: AsyncSession, org: Organization, page: StatusPage, fields: dict[str, Any], now: datetime
) -> StatusIncident:
    """Open an incident (``title``, ``status``, ``impact``, ``message``, ``monitor_ids``) with its
    first update. Posting one already resolved records a past incident."""
    title = clean_title(str(fields.get("title") or ""))
    state = _status(fields.get("status") or IncidentStatus.INVESTIGATING.value)
    impact = _impact(fields.get("impact") or Impact.MINOR.value)
    message = clean_message(str(fields.get("message") or ""))
    components = await _check_components(db, org, page, fields.get("monitor_ids") or [])
    incident = StatusIncident(
        id=uuid.uuid4(), organization_id=org.id, status_page_id=page.id, title=title, status=state.value,
        impact=impact.value, monitor_ids=components, created_at=now, updated_at=now,
        resolved_at=now if state is IncidentStatus.RESOLVED else None,
    )  # fmt: skip
    repo = StatusIncidentRepository(db)
    repo.add(incident)
    await db.flush()
    repo.add(StatusIncidentUpdate(incident_id=incident.id, status=state.value, body=message, created_at=now))
    await db.flush()
    if state is not IncidentStatus.RESOLVED:  # a past incident posted for the record tells nobody
        notice = subscribers.incident_notice(page, title, state.value, message, components, now, new=True)
        await subscribers.notify_subscribers(db, page, notice, now)
    return incident


async def add_update(
    db: AsyncSession, incident: StatusIncident, fields: dict[str, Any], now: datetime
) -> StatusIncident:
    """A new entry of the timeline; its status becomes the incident's (resolved closes it, anything
    else after resolved reopens it)."""
    state = _status(fields.get("status") or "")
    message = clean_message(str(fields.get("message") or ""))
    StatusIncidentRepository(db).add(
        StatusIncidentUpdate(incident_id=incident.id, status=state.value, body=message, created_at=now)
    )
    incident.status = state.value
    incident.updated_at = now
    if state is IncidentStatus.RESOLVED:
        incident.resolved_at = incident.resolved_at or now
    else:
        incident.resolved_at = None
    await db.flush()
    page = await db.get(StatusPage, incident.status_page_id)
    if page is not None:  # the page's subscribers hear of every update, in this transaction
        notice = subscribers.incident_notice(
            page, incident.title, state.value, message, list(incident.monitor_ids), now, new=False
        )
        await subscribers.notify_subscribers(db, page, notice, now)
    return incident


async def get_automatic(
    db: AsyncSession, org: Organization, page: StatusPage, incident_id: str
) -> IncidentView | None:
    """An automatic incident as this page tells it, with its updates; None unless the page shows
    automatic incidents and the outage is of one of its public components."""
    try:
        key = uuid.UUID(incident_id)
    except ValueError:
        return None
    if not page.show_automatic_incidents:
        return None
    rows = {r.monitor_id: r for r in await status_pages.visible_components(db, page, org)}
    repo = StatusIncidentRepository(db)
    found = await repo.automatic(list(rows), key)
    if found is None:
        return None
    notes = await repo.notes_of(page.id, [found.id])
    return IncidentView(str(found.id), str(found.monitor_id), rows[found.monitor_id].name, found.started_at,
                        found.confirmed_at, found.resolved_at, notes[found.id])  # fmt: skip


async def recent_automatic(
    db: AsyncSession, org: Organization, page: StatusPage, now: datetime, days: int = 14
) -> list[IncidentView]:
    """The outages this page shows that are open or ended in the last ``days``, newest first:
    what the dashboard offers to annotate."""
    if not page.show_automatic_incidents:
        return []
    rows = {r.monitor_id: r for r in await status_pages.visible_components(db, page, org)}
    told = await StatusIncidentRepository(db).automatic_told(
        page.id, list(rows), now - timedelta(days=days), now
    )
    return [
        IncidentView(str(i.id), str(i.monitor_id), rows[i.monitor_id].name, i.started_at, i.confirmed_at,
                     i.resolved_at, notes)
        for i, notes in told
    ]  # fmt: skip


async def annotate(
    db: AsyncSession, page: StatusPage, incident: IncidentView, fields: dict[str, Any], now: datetime
) -> IncidentView:
    """Add an update to an automatic incident's timeline on this page. Its open/resolved state stays
    the engine's: ``resolved`` is refused while the monitor is still down (it resolves itself when
    the monitor answers); after recovery any status is accepted as a closing note. Subscribers hear
    of it when the page notifies them of automatic incidents."""
    state = _status(fields.get("status") or "")
    message = clean_message(str(fields.get("message") or ""))
    if state is IncidentStatus.RESOLVED and incident.resolved_at is None:
        raise InvalidInput(
            "an automatic incident is resolved when its monitor answers again; post investigating, "
            "identified or monitoring until then",
            field="status",
        )
    row = AutomaticIncidentUpdate(
        id=uuid.uuid4(), status_page_id=page.id, incident_id=uuid.UUID(incident.id), status=state.value,
        body=message, created_at=now,
    )  # fmt: skip
    StatusIncidentRepository(db).add(row)
    await db.flush()
    if page.notify_automatic_incidents:
        notice = subscribers.incident_notice(
            page, incident.name, state.value, message, [incident.component_id], now, new=False
        )
        await subscribers.notify_subscribers(db, page, notice, now)
    return replace(incident, notes=[PostedUpdate(str(row.id), state, message, now), *incident.notes])


async def edit(
    db: AsyncSession,
    org: Organization,
    page: StatusPage,
    incident: StatusIncident,
    fields: dict[str, Any],
    now: datetime,
) -> StatusIncident:
    """Correct ``title``, ``impact`` or ``monitor_ids``; the status moves only through updates.
    Everything is checked before anything changes."""
    title = clean_title(str(fields["title"] or "")) if "title" in fields else incident.title
    impact = _impact(fields["impact"] or "").value if "impact" in fields else incident.impact
    components = incident.monitor_ids
    if "monitor_ids" in fields:
        components = await _check_components(db, org, page, fields["monitor_ids"] or [])
    incident.title, incident.impact, incident.monitor_ids = title, impact, components
    incident.updated_at = now
    await db.flush()
    return incident


async def overview(
    db: AsyncSession, org: Organization, page: StatusPage, *, offset: int, limit: int
) -> tuple[list[PostedIncident], int, list[NamedComponent]]:
    """What the dashboard's incidents page shows: a page of incidents and the components to name."""
    found, total = await list_for(db, page, offset=offset, limit=limit)
    rows = await status_pages.visible_components(db, page, org)
    return found, total, [NamedComponent(str(r.monitor_id), r.name) for r in rows]


async def delete(db: AsyncSession, incident: StatusIncident) -> None:
    await StatusIncidentRepository(db).delete(incident)
    await db.flush()


def _status(value: Any) -> IncidentStatus:
    try:
        return IncidentStatus(str(value))
    except ValueError:
        choices = ", ".join(s.value for s in IncidentStatus)
        raise InvalidInput(f"status must be one of {choices}", field="status") from None


def _impact(value: Any) -> Impact:
    try:
        return Impact(str(value))
    except ValueError:
        choices = ", ".join(i.value for i in Impact)
        raise InvalidInput(f"impact must be one of {choices}", field="impact") from None


async def _check_components(
    db: AsyncSession, org: Organization, page: StatusPage, items: list[Any]
) -> list[str]:
    if len(items) > MAX_COMPONENTS:
        raise InvalidInput(f"an incident names at most {MAX_COMPONENTS} components", field="monitor_ids")
    shown = {str(r.monitor_id) for r in await status_pages.visible_components(db, page, org)}
    wanted: list[str] = []
    for item in items:
        text = str(item)
        try:
            key = str(uuid.UUID(text))
        except ValueError:
            raise InvalidInput(f"unknown monitor id {text[:64]!r}", field="monitor_ids") from None
        if key not in shown:
            raise InvalidInput(
                f"monitor {key} is not a public component of this status page", field="monitor_ids"
            )
        if key in wanted:
            raise InvalidInput(f"monitor {key} is listed twice", field="monitor_ids")
        wanted.append(key)
    return wanted


# History ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NamedComponent:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class HistoryMonth:
    """One month of a page's incidents, both kinds, newest first."""

    month: date  # its first day
    incidents: list[PostedIncident | IncidentView]
    previous: date | None  # None: nothing earlier to show
    next: date | None  # None: this is the current month
    components: list[NamedComponent]  # the page's public components, to name affected ones


def month_of(value: str | None, now: datetime) -> date:
    """``YYYY-MM`` as the month's first day; none means the current month."""
    if not value:
        return date(now.year, now.month, 1)
    try:
        year, month = (int(part) for part in value.split("-"))
        found = date(year, month, 1)
    except ValueError:
        raise InvalidInput("month must look like 2026-01", field="month") from None
    if not 1970 <= found.year < 2100:
        raise InvalidInput("month must be between 1970-01 and 2099-12", field="month")
    return found


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def _at(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


async def history(
    db: AsyncSession, page: StatusPage, org: Organization, month: date, now: datetime
) -> HistoryMonth:
    current = date(now.year, now.month, 1)
    if month > current:
        raise NotFound("that month has not begun yet")
    start, end = _at(month), _at(_shift(month, 1))
    rows = [r for r in await status_pages.visible_components(db, page, org) if not r.paused]
    names = {str(r.monitor_id): r.name for r in rows}
    found: list[PostedIncident | IncidentView] = [
        p.showing(names) for p in await StatusIncidentRepository(db).created_between(page.id, start, end)
    ]
    automatic = (
        await StatusIncidentRepository(db).automatic_told(page.id, [r.monitor_id for r in rows], start, end)
        if page.show_automatic_incidents
        else []
    )
    found += [
        IncidentView(str(i.id), str(i.monitor_id), names[str(i.monitor_id)], i.started_at, i.confirmed_at,
                     i.resolved_at, notes)
        for i, notes in automatic
        if i.started_at >= start
    ]  # fmt: skip
    found.sort(key=lambda i: (i.started_at, i.id), reverse=True)
    first_posted = await StatusIncidentRepository(db).first_created(page.id)
    first = min([page.created_at, *(r.created_at for r in rows), *([first_posted] if first_posted else [])])
    earliest = date(first.year, first.month, 1)
    return HistoryMonth(
        month=month,
        incidents=found,
        previous=_shift(month, -1) if month > earliest else None,
        next=_shift(month, 1) if month < current else None,
        components=[NamedComponent(key, name) for key, name in names.items()],
    )

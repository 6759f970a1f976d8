"""A page view as JSON: our own shape (``/s/{slug}/api``) and Atlassian Statuspage's (``/api/v2``).

Statuspage's public API is read by many tools (aggregators, chat bots, dashboards), so its field
names and values are kept exactly: component ``status`` in operational / degraded_performance /
partial_outage / major_outage / under_maintenance, ``status.indicator`` in none / minor / major /
critical (and maintenance, as Statuspage itself sends during maintenance), incidents with
``incident_updates``. Groups are components with ``group: true`` listing their members' ids.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from statusping.domain.status_incidents import IMPACT_COMPONENT_STATUS, IncidentStatus, PostedIncident
from statusping.domain.status_page import ComponentStatus
from statusping.services.status_pages import (
    ComponentView,
    GroupView,
    IncidentView,
    MaintenanceView,
    PageView,
)

TIME_ZONE = "Etc/UTC"
_UPDATE_NAMESPACE = uuid.UUID("6c1d8f0e-2b7a-4f3e-8d5c-91a4e7b2c3d6")


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# Our own JSON ---------------------------------------------------------------------------------


def page_json(view: PageView, url: str) -> dict[str, Any]:
    return {
        "page": {
            "id": view.id,
            "slug": view.slug,
            "title": view.title,
            "description": view.description,
            "url": url,
            "updated_at": iso(view.updated_at),
        },
        "status": {
            "overall": view.overall.value,
            "indicator": view.indicator,
            "description": view.description_text,
        },
        "components": [
            {
                "id": c.id,
                "name": c.name,
                "group": c.group,
                "position": c.position,
                "status": c.status.value,
                "uptime": {w: c.uptime[w] for w in c.uptime},
                "days": [
                    {
                        "date": d.day.isoformat(),
                        "uptime": d.uptime,
                        "downtime_seconds": round(d.downtime_seconds),
                        "incidents": d.incidents,
                    }
                    for d in c.days
                ],
            }
            for c in view.components
        ],
        "incidents": [
            {
                "id": i.id,
                "name": i.name,
                "component_id": i.component_id,
                "started_at": iso(i.started_at),
                "resolved_at": iso(i.resolved_at),
            }
            for i in view.incidents
        ],
        "posted_incidents": [
            {
                "id": p.id,
                "title": p.title,
                "status": p.status.value,
                "impact": p.impact.value,
                "component_ids": p.component_ids,
                "created_at": iso(p.created_at),
                "updated_at": iso(p.updated_at),
                "resolved_at": iso(p.resolved_at),
                "updates": [
                    {"id": u.id, "status": u.status.value, "body": u.body, "created_at": iso(u.created_at)}
                    for u in p.updates
                ],
            }
            for p in view.posted
        ],
        "maintenances": [
            {
                "id": m.id,
                "title": m.title,
                "starts_at": iso(m.starts_at),
                "ends_at": iso(m.ends_at),
                "active": m.active,
                "component_ids": m.component_ids,
            }
            for m in view.maintenances
        ],
    }


# Statuspage-compatible JSON -------------------------------------------------------------------


def sp_page(view: PageView, url: str) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.title,
        "url": url,
        "time_zone": TIME_ZONE,
        "updated_at": iso(view.updated_at),
    }


def sp_status(view: PageView) -> dict[str, Any]:
    return {"indicator": view.indicator, "description": view.description_text}


def _sp_component(view: PageView, c: ComponentView, position: int) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "status": c.status.value,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "position": position,
        "description": None,
        "showcase": True,
        "start_date": c.created_at.date().isoformat(),
        "group_id": view.group_ids.get(c.group) if c.group else None,
        "page_id": view.id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _sp_group(view: PageView, g: GroupView, position: int) -> dict[str, Any]:
    created = min(c.created_at for c in g.components)
    return {
        "id": g.id,
        "name": g.name,
        "status": g.status.value,
        "created_at": iso(created),
        "updated_at": iso(max(c.updated_at for c in g.components)),
        "position": position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": view.id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [c.id for c in g.components],
    }


def sp_components(view: PageView) -> list[dict[str, Any]]:
    """Groups and components in display order, positions counted from 1 as Statuspage does."""
    out: list[dict[str, Any]] = []
    for group in view.groups:
        if group.name is not None:
            out.append(_sp_group(view, group, len(out) + 1))
        for component in group.components:
            out.append(_sp_component(view, component, len(out) + 1))
    return out


def _update_id(incident_id: str, kind: str) -> str:
    return str(uuid.uuid5(_UPDATE_NAMESPACE, f"{incident_id}/{kind}"))


def _affected(component: ComponentView | None, old: str, new: str) -> list[dict[str, Any]] | None:
    if component is None:
        return None
    return [{"code": component.id, "name": component.name, "old_status": old, "new_status": new}]


def _sp_update(incident_id: str, kind: str, body: str, at: datetime, affected: Any) -> dict[str, Any]:
    return {
        "id": _update_id(incident_id, kind),
        "status": kind,
        "body": body,
        "incident_id": incident_id,
        "created_at": iso(at),
        "updated_at": iso(at),
        "display_at": iso(at),
        "affected_components": affected,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def sp_incident(view: PageView, i: IncidentView, url: str) -> dict[str, Any]:
    component = next((c for c in view.components if c.id == i.component_id), None)
    major, ok = ComponentStatus.MAJOR.value, ComponentStatus.OPERATIONAL.value
    # (moment, rank, update): the measured facts and what the owner added, newest first.
    timeline = [
        (i.confirmed_at, 0, _sp_update(
            i.id, "investigating",
            f"{i.component_name} is not responding. We are looking into it.",
            i.confirmed_at, _affected(component, ok, major),
        ))
    ]  # fmt: skip
    if i.resolved_at is not None:
        timeline.append(
            (i.resolved_at, 2, _sp_update(
                i.id, "resolved", f"{i.component_name} is responding again.",
                i.resolved_at, _affected(component, major, ok),
            ))
        )  # fmt: skip
    for note in i.notes:
        affected = _affected(component, major, major)
        told = _sp_update(i.id, note.status.value, note.body, note.created_at, affected)
        told["id"] = note.id
        timeline.append((note.created_at, 1, told))
    timeline.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    updates = [update for _, _, update in timeline]
    return {
        "id": i.id,
        "name": i.name,
        "status": i.status,
        "created_at": iso(i.confirmed_at),
        "updated_at": iso(i.updated_at),
        "monitoring_at": None,
        "resolved_at": iso(i.resolved_at),
        "impact": "major",
        "shortlink": url,
        "started_at": iso(i.started_at),
        "page_id": view.id,
        "incident_updates": updates,
        "components": [_sp_component(view, component, component.position + 1)] if component else [],
    }


def history_url(url: str, incident_id: str, at: datetime) -> str:
    """Where an incident is told on the page's history (its Statuspage ``shortlink``)."""
    return f"{url}/history?month={at:%Y-%m}#incident-{incident_id}"


def sp_posted(view: PageView, p: PostedIncident, url: str) -> dict[str, Any]:
    """A communication incident; each update names the components with the status it implied."""
    shown = [c for c in view.components if c.id in p.component_ids]
    updates: list[dict[str, Any]] = []
    before = ComponentStatus.OPERATIONAL.value
    for u in reversed(p.updates):  # oldest first, to carry each update's status into the next
        after = (
            ComponentStatus.OPERATIONAL.value
            if u.status is IncidentStatus.RESOLVED
            else IMPACT_COMPONENT_STATUS[p.impact].value
        )
        affected = [{"code": c.id, "name": c.name, "old_status": before, "new_status": after} for c in shown]
        update = _sp_update(p.id, u.status.value, u.body, u.created_at, affected or None)
        update["id"] = u.id
        updates.insert(0, update)
        before = after
    return {
        "id": p.id,
        "name": p.title,
        "status": p.status.value,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "monitoring_at": iso(p.monitoring_at),
        "resolved_at": iso(p.resolved_at),
        "impact": p.impact.value,
        "shortlink": history_url(url, p.id, p.created_at),
        "started_at": iso(p.created_at),
        "page_id": view.id,
        "incident_updates": updates,
        "components": [_sp_component(view, c, c.position + 1) for c in shown],
    }


def sp_incidents(
    view: PageView, url: str, *, unresolved: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """Communication and automatic incidents together, newest first (as Statuspage lists them)."""
    posted = [p for p in view.posted if p.active or not unresolved]
    automatic = view.active_incidents if unresolved else view.incidents
    both: list[tuple[datetime, dict[str, Any]]] = [(p.created_at, sp_posted(view, p, url)) for p in posted]
    both += [(i.confirmed_at, sp_incident(view, i, url)) for i in automatic]
    both.sort(key=lambda pair: pair[0], reverse=True)
    return [incident for _, incident in both[:limit]]


def sp_maintenance(view: PageView, m: MaintenanceView, url: str) -> dict[str, Any]:
    shown = [c for c in view.components if c.id in m.component_ids]
    status = "completed" if m.completed else ("in_progress" if m.active else "scheduled")
    updates = [
        _sp_update(
            m.id, "in_progress" if m.active else "scheduled", m.title, m.created_at,
            [{"code": c.id, "name": c.name, "old_status": "operational", "new_status": "under_maintenance"}
             for c in shown],
        )
    ]  # fmt: skip
    if m.completed:
        updates.insert(
            0,
            _sp_update(
                m.id, "completed", f"{m.title}: the maintenance window has ended.", m.ends_at,
                [{"code": c.id, "name": c.name, "old_status": "under_maintenance",
                  "new_status": "operational"} for c in shown],
            ),
        )  # fmt: skip
    return {
        "id": m.id,
        "name": m.title,
        "status": status,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.ends_at if m.completed else m.created_at),
        "monitoring_at": None,
        "resolved_at": iso(m.ends_at) if m.completed else None,
        "impact": "maintenance",
        "shortlink": url,
        "started_at": iso(m.starts_at),
        "page_id": view.id,
        "incident_updates": updates,
        "components": [_sp_component(view, c, c.position + 1) for c in shown],
        "scheduled_for": iso(m.starts_at),
        "scheduled_until": iso(m.ends_at),
    }


def summary(view: PageView, url: str) -> dict[str, Any]:
    return {
        "page": sp_page(view, url),
        "components": sp_components(view),
        "incidents": sp_incidents(view, url, unresolved=True),
        "scheduled_maintenances": [sp_maintenance(view, m, url) for m in view.maintenances],
        "status": sp_status(view),
    }

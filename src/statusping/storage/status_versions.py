"""Each organization's ``status_version``: it moves in the same transaction as anything a public
status page shows, so a render cache on any web node can tell with one indexed query whether the
page it holds is still current (web/public/render_cache.py).

Two ways a change moves it:

- ``bump()``, called explicitly where the engine writes monitor states with core statements
  (services/recording.py), which no ORM event sees;
- an ``after_flush`` listener on every session, for edits made through the ORM: monitors (name,
  public, paused, status), incidents, pauses, maintenance windows, status pages, their components,
  communication incidents and their updates, updates on automatic incidents, and an organization's
  plan (it decides what a page shows: "Powered by", branding, custom CSS, history).
  No service has to remember to call anything.

A committed bump also moves a per-engine counter in this process (``local_generation``), so the
node that made a change re-checks at once instead of after its polling interval.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Uuid, bindparam, event, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from statusping.storage.models import Organization, StatusPage

_BUMPED = "statusping.status_bumped"
# Tables whose rows a public page shows; for monitors only some columns (checks change the rest).
_WATCHED = frozenset(
    {
        "incidents",
        "maintenances",
        "status_pages",
        "status_page_components",
        "status_incidents",
        "status_incident_updates",
        "automatic_incident_updates",
    }
)
_MONITOR_SHOWN = ("name", "public", "paused", "status", "organization_id")
_ORGANIZATION_SHOWN = ("plan",)

_generations: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def local_generation(engine: Engine) -> int:
    """How many transactions on ``engine`` in this process have committed a bump."""
    return _generations.get(engine, 0)


async def bump(db: AsyncSession, organization_ids: Iterable[uuid.UUID]) -> None:
    ids = sorted(set(organization_ids))
    if ids:
        await db.execute(_bump_statement(ids))
        db.sync_session.info[_BUMPED] = True


async def version_of(db: AsyncSession, slug: str) -> tuple[uuid.UUID, int] | None:
    """The organization and status version behind a page's slug: the render cache's one query."""
    row = (
        await db.execute(
            select(Organization.id, Organization.status_version)
            .join(StatusPage, StatusPage.organization_id == Organization.id)
            .where(StatusPage.slug == slug)
        )
    ).first()
    return (row[0], int(row[1])) if row else None


def _bump_statement(ids: list[uuid.UUID]) -> Any:
    return (
        update(Organization)
        .where(Organization.id.in_(ids))
        .values(status_version=Organization.status_version + 1)
        .execution_options(synchronize_session=False)
    )


def _changed(session: Session) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Organization ids and status page ids touched by this flush."""
    orgs: set[uuid.UUID] = set()
    pages: set[uuid.UUID] = set()
    incidents: set[uuid.UUID] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table == "organizations":
            if obj in session.dirty and _shown_change(obj, _ORGANIZATION_SHOWN):
                orgs.add(obj.id)
            continue
        if table == "monitors":
            if obj in session.dirty and not _shown_change(obj, _MONITOR_SHOWN):
                continue
        elif table not in _WATCHED:
            continue
        if getattr(obj, "organization_id", None) is not None:
            orgs.add(obj.organization_id)
        elif getattr(obj, "status_page_id", None) is not None:
            pages.add(obj.status_page_id)
        elif table == "status_incident_updates":
            incidents.add(obj.incident_id)
    if incidents:
        found = session.connection().execute(
            text("SELECT organization_id FROM status_incidents WHERE id IN :ids")
            .bindparams(bindparam("ids", expanding=True, type_=Uuid()))
            .columns(organization_id=Uuid()),
            {"ids": sorted(incidents)},
        )
        orgs |= {row[0] for row in found}
    return orgs, pages


def _shown_change(obj: Any, shown: tuple[str, ...]) -> bool:
    state = obj._sa_instance_state
    return any(state.attrs[name].history.has_changes() for name in shown)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    orgs, pages = _changed(session)
    if pages:
        found = session.connection().execute(
            select(StatusPage.organization_id).where(StatusPage.id.in_(sorted(pages)))
        )
        orgs |= {row[0] for row in found}
    if orgs:
        session.connection().execute(_bump_statement(sorted(orgs)))
        session.info[_BUMPED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_BUMPED, False):
        bind = session.get_bind()
        engine = bind.engine if isinstance(bind, Connection) else bind
        _generations[engine] = _generations.get(engine, 0) + 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_BUMPED, None)

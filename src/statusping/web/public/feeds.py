"""A status page's incidents as Atom and RSS 2.0 feeds (``/s/{slug}/feed.atom``, ``…/feed.rss``).

Entries are the page's communication incidents (their whole timeline as the entry's HTML) and
its automatic incidents (outages of public components), newest first, over the page's 90 days.
Documents are built with ElementTree, so every text is escaped; links are absolute (from
``settings.base_url``); ids are ``urn:uuid:`` of the incident, so a reader sees an update of an
incident as the same entry changed, not as a new one.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import escape

from statusping.domain.errors import NotFound
from statusping.domain.plans import PlanKey
from statusping.domain.status_incidents import PostedIncident
from statusping.services import page_access
from statusping.services import status_pages as service
from statusping.services.status_pages import IncidentView, PageView
from statusping.web.deps import Db, SettingsDep, now
from statusping.web.markdown import render_markdown
from statusping.web.policy import policy_of
from statusping.web.public.access import check_page, private_headers
from statusping.web.public.status_page_json import history_url, iso
from statusping.web.public.status_pages import NOT_FOUND, cached, page_url

router = APIRouter()

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 50


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    html: str


async def _view(db: Db, slug: str, settings: SettingsDep, request: Request) -> PageView | Response:
    """The page's view, or the 403 a private page answers without its cookie (a feed reader has
    none: a private page has no public feed)."""
    found = await service.by_slug(db, slug)
    if found is None:
        raise NotFound(NOT_FOUND)
    page, org = found
    refused = check_page(request, page, html=False)
    if refused is not None:
        return refused
    policy = policy_of(settings)
    plan = policy.plan_of(org)
    view = await service.view(
        db, page, org,
        history_days=policy.history_days(org),
        powered_by=page.show_powered_by or (plan is not None and plan.key is PlanKey.FREE),
        now=now(),
    )  # fmt: skip
    return dataclasses.replace(view, gate=page_access.gate_of(page))


def _feed(request: Request, view: PageView, body: bytes, media_type: str) -> Response:
    response = cached(request, body, media_type)
    return private_headers(response) if view.gate else response


def _time(moment: datetime) -> str:
    return moment.strftime("%-d %b %Y, %H:%M UTC")


def _posted_entry(view: PageView, p: PostedIncident, url: str) -> Entry:
    names = [c.name for c in view.components if c.id in p.component_ids]
    parts = [f"<p><strong>{escape(p.status_title)}</strong> · impact {escape(p.impact.value)}"]
    if names:
        parts.append(f" · affects {escape(', '.join(names))}")
    parts.append("</p>")
    for u in p.updates:
        parts.append(f"<h3>{escape(u.status_title)} · {escape(_time(u.created_at))}</h3>")
        parts.append(str(render_markdown(u.body)))
    return Entry(
        id=f"urn:uuid:{p.id}",
        title=f"{p.title} [{p.status_title}]",
        link=history_url(url, p.id, p.created_at),
        published=p.created_at,
        updated=p.updated_at,
        html="".join(parts),
    )


def _automatic_entry(i: IncidentView, url: str) -> Entry:
    if i.resolved_at is None:
        state, text = (
            "Investigating",
            f"{i.component_name} has not been responding since {_time(i.started_at)}.",
        )
    else:
        state = "Resolved"
        text = (
            f"{i.component_name} was unavailable from {_time(i.started_at)} to {_time(i.resolved_at)} "
            f"({i.duration_minutes} min)."
        )
    if i.resolved_at is None and i.notes:
        state = i.status_title
    told = "".join(
        f"<h3>{escape(n.status_title)} · {escape(_time(n.created_at))}</h3>{render_markdown(n.body)}"
        for n in i.notes
    )
    return Entry(
        id=f"urn:uuid:{i.id}",
        title=f"{i.name} [{state}]",
        link=history_url(url, i.id, i.started_at),
        published=i.confirmed_at,
        updated=i.updated_at,
        html=f"<p>{escape(text)}</p>{told}",
    )


def entries(view: PageView, url: str) -> list[Entry]:
    found = [_posted_entry(view, p, url) for p in view.posted]
    found += [_automatic_entry(i, url) for i in view.incidents]
    found.sort(key=lambda e: (e.updated, e.id), reverse=True)
    return found[:MAX_ENTRIES]


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _document(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def atom(view: PageView, url: str) -> bytes:
    items = entries(view, url)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", f"{url}/feed.atom")
    _sub(feed, "title", f"{view.title} status: incidents")
    _sub(feed, "updated", iso(max([view.updated_at, *(e.updated for e in items)])))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{url}/feed.atom")
    _sub(feed, "link", rel="alternate", type="text/html", href=url)
    author = _sub(feed, "author")
    _sub(author, "name", view.title)
    for item in items:
        entry = _sub(feed, "entry")
        _sub(entry, "id", item.id)
        _sub(entry, "title", item.title)
        _sub(entry, "link", rel="alternate", type="text/html", href=item.link)
        _sub(entry, "published", iso(item.published))
        _sub(entry, "updated", iso(item.updated))
        _sub(entry, "content", item.html, type="html")
    return _document(feed)


def rss(view: PageView, url: str) -> bytes:
    items = entries(view, url)
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", f"{view.title} status: incidents")
    _sub(channel, "link", url)
    _sub(channel, "description", f"Incidents and their updates on the {view.title} status page")
    _sub(channel, "atom:link", href=f"{url}/feed.rss", rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", format_datetime(max([view.updated_at, *(e.updated for e in items)])))
    for item in items:
        element = _sub(channel, "item")
        _sub(element, "title", item.title)
        _sub(element, "link", item.link)
        _sub(element, "guid", item.id, isPermaLink="false")
        _sub(element, "pubDate", format_datetime(item.updated))
        _sub(element, "description", item.html)
    return _document(root)


@router.get("/s/{slug}/feed.atom")
async def atom_feed(slug: str, request: Request, db: Db, settings: SettingsDep) -> Response:
    view = await _view(db, slug, settings, request)
    if isinstance(view, Response):
        return view
    return _feed(
        request, view, atom(view, page_url(settings, view.slug)), "application/atom+xml; charset=utf-8"
    )


@router.get("/s/{slug}/feed.rss")
async def rss_feed(slug: str, request: Request, db: Db, settings: SettingsDep) -> Response:
    view = await _view(db, slug, settings, request)
    if isinstance(view, Response):
        return view
    return _feed(
        request, view, rss(view, page_url(settings, view.slug)), "application/rss+xml; charset=utf-8"
    )

"""SVG badges of public monitors, in the shields.io look: ``/badge/{id}/status.svg``,
``…/uptime.svg?window=24h|7d|30d|90d``, ``…/response.svg``.

A private, unknown or malformed monitor id answers 404 ``{"detail": …}`` (JSON, like every other
error of ours; an ``<img>`` shows it as a broken image), the same answer for all three, so a badge
URL never reveals that a private monitor exists. A window outside the list is a 422; a window
beyond the plan's history, or one without data yet, is a grey "no data" badge.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import escape

from statusping.services import badges as service
from statusping.web.deps import Db, SettingsDep, now
from statusping.web.policy import policy_of
from statusping.web.public.status_pages import cached

router = APIRouter()

# Badges sit in READMEs and dashboards behind image proxies: short enough to follow an outage
# within a minute, long enough that a proxy absorbs the traffic.
CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60"
NOT_FOUND = "there is no public monitor with this id"
GREEN, LIGHT_GREEN, YELLOW, ORANGE, RED = "#4c1", "#97ca00", "#dfb317", "#fe7d37", "#e05d44"
BLUE, GREY = "#007ec6", "#9f9f9f"
STATUS_LOOK = {
    "up": ("up", GREEN),
    "degraded": ("degraded", YELLOW),
    "down": ("down", RED),
    "maintenance": ("maintenance", BLUE),
    "paused": ("paused", GREY),
    "pending": ("pending", GREY),
}
WINDOWS = {w.value: w for w in service.BADGE_WINDOWS}

# Approximate advance widths of 11 px Verdana, enough to size a badge without a font file.
_NARROW = set("ijlI.,:;|!'() ")
_WIDE = set("mwMW@%")


def text_width(text: str) -> float:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 3.9
        elif char in _WIDE:
            width += 10.5
        elif char.isupper() or char.isdigit():
            width += 7.2
        else:
            width += 6.6
    return width


def svg(label: str, value: str, color: str) -> bytes:
    """A flat two-part badge: grey label, coloured value."""
    left, right = round(text_width(label) + 10), round(text_width(value) + 10)
    total = left + right
    title = escape(f"{label}: {value}")
    # Text is drawn at scale 0.1, so positions are in tenths of a pixel.
    label_x, value_x = left * 5, round((left + right / 2) * 10)
    shadow = 'y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)"'
    face = 'y="140" transform="scale(.1)"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{title}">'
        f"<title>{title}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">'
        f'<text x="{label_x}" {shadow}>{escape(label)}</text>'
        f'<text x="{label_x}" {face}>{escape(label)}</text>'
        f'<text x="{value_x}" {shadow}>{escape(value)}</text>'
        f'<text x="{value_x}" {face}>{escape(value)}</text>'
        "</g></svg>"
    ).encode()


def uptime_color(percent: float) -> str:
    if percent >= 99.9:
        return GREEN
    if percent >= 99.0:
        return LIGHT_GREEN
    if percent >= 97.0:
        return YELLOW
    if percent >= 95.0:
        return ORANGE
    return RED


def response_color(ms: float) -> str:
    if ms < 300:
        return GREEN
    if ms < 800:
        return LIGHT_GREEN
    if ms < 1500:
        return YELLOW
    if ms < 3000:
        return ORANGE
    return RED


def _badge(request: Request, label: str, value: str, color: str) -> Response:
    return cached(request, svg(label, value, color), "image/svg+xml", {"Cache-Control": CACHE_CONTROL})


def _not_found() -> Response:
    return JSONResponse({"detail": NOT_FOUND}, status_code=404)


@router.get("/badge/{monitor_id}/status.svg")
async def status_badge(monitor_id: str, request: Request, db: Db) -> Response:
    found = await service.public_monitor(db, monitor_id)
    if found is None:
        return _not_found()
    value, color = STATUS_LOOK.get(await service.status(db, found, now()), ("unknown", GREY))
    return _badge(request, "status", value, color)


@router.get("/badge/{monitor_id}/uptime.svg")
async def uptime_badge(
    monitor_id: str,
    request: Request,
    db: Db,
    settings: SettingsDep,
    window: Annotated[str, Query(max_length=8, description="24h, 7d, 30d or 90d")] = "24h",
) -> Response:
    if window not in WINDOWS:
        return JSONResponse({"detail": f"window must be one of {', '.join(WINDOWS)}"}, status_code=422)
    found = await service.public_monitor(db, monitor_id)
    if found is None:
        return _not_found()
    percent = await service.uptime_percent(db, found, WINDOWS[window], policy_of(settings), now())
    label = f"uptime {window}"
    if percent is None:
        return _badge(request, label, "no data", GREY)
    shown = f"{percent:.2f}".rstrip("0").rstrip(".") if percent < 100 else "100"
    return _badge(request, label, f"{shown}%", uptime_color(percent))


@router.get("/badge/{monitor_id}/response.svg")
async def response_badge(monitor_id: str, request: Request, db: Db) -> Response:
    found = await service.public_monitor(db, monitor_id)
    if found is None:
        return _not_found()
    ms = await service.response_ms(db, found, now())
    if ms is None:
        return _badge(request, "response", "no data", GREY)
    return _badge(request, "response", f"{ms:.0f} ms", response_color(ms))

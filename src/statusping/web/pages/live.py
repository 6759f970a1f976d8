"""``GET /dashboard/events``: the open dashboard's Server-Sent-Event stream (see ``web/live.py``).

Session-authenticated and scoped to the viewer's organization. It first replays the changes since
the page was rendered (``?after=``, or ``Last-Event-ID`` when the browser reconnects), then sends
each change as it is recorded, a fresh status summary after each batch, and a comment every 15 s so
proxies keep the connection open. It ends when the server stops.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from statusping.domain.errors import NotAuthenticated
from statusping.web.deps import OptionalAccount
from statusping.web.live import LiveEvent, LiveHub

router = APIRouter()
RETRY_MS = 3000


def _position(raw: str | None) -> int | None:
    try:
        value = int(raw) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value < 2**63 else None


def encode(event: LiveEvent) -> str:
    lines = [f"event: {event.kind}"]
    if event.id is not None:
        lines.append(f"id: {event.id}")
    lines.append(f"data: {json.dumps(event.data, separators=(',', ':'))}")
    return "\n".join(lines) + "\n\n"


@router.get("/dashboard/events")
async def dashboard_events(request: Request, account: OptionalAccount, after: str | None = None) -> Response:
    if account is None:
        raise NotAuthenticated("not signed in")
    hub: LiveHub = request.app.state.live
    org_id = account.organization.id
    since = _position(request.headers.get("last-event-id")) or _position(after)

    async def stream() -> AsyncIterator[str]:
        async with hub.subscribe(org_id) as subscription:
            yield f"retry: {RETRY_MS}\n: connected\n\n"
            if since is not None:
                for event in await hub.replay(org_id, since):
                    yield encode(event)
            while True:
                try:
                    item = await asyncio.wait_for(subscription.queue.get(), hub.heartbeat_seconds)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if item is None:
                    return  # the server is stopping; the browser reconnects to another node or later
                yield encode(item)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )

"""The render cache of public status pages: bytes + ETag per (slug, representation), per process.

A page is what its organization's data says, and every change of that data moves the
organization's ``status_version`` in the same transaction (storage/status_versions.py). So a
cached render is current while

- the version it was rendered at is still the version in the database — read with one indexed
  query at most once per ``check_interval`` per page and process, and at once after this process
  committed a change itself (the local generation moved), so a node sees its own edits at once
  and other nodes' edits within ``check_interval``; and
- the minute it was rendered in has not ended: figures are computed as of the minute
  (services/status_pages.py), so a render is never kept into the next minute.

A slow or failing database does not turn the page into an error: while the version check or a
re-render fails (or exceeds its timeout), the last rendered bytes are served with
``X-Cache: STALE``. Concurrent requests for a page being re-rendered get the previous bytes
too (stale-while-revalidate), so a stampede costs one render, not one per request.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from statusping.domain.errors import StatusPingError
from statusping.storage import status_versions

log = logging.getLogger(__name__)

GZIP_MIN_BYTES = 1024


class Unavailable(StatusPingError):
    """The database failed and this node holds no earlier render of the page."""

    status_code = 503


@dataclass(frozen=True, slots=True)
class Gate:
    """A private page's lock, kept with each of its renders: who may have the bytes is decided on
    every request (web/public/access.py), never by the cache. ``key`` is the fingerprint of the
    password the visitor's cookie must be signed for (services/page_access.py)."""

    page_id: str
    key: str
    slug: str
    title: str
    brand_color: bool = False
    custom_css: bool = False


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    gzipped: bytes | None = None
    gate: Gate | None = None  # set: a private page's render, shown only to holders of its cookie

    @classmethod
    def of(cls, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Rendered:
        etag = hashlib.sha256(body).hexdigest()[:32]
        packed = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
        return cls(body, media_type, headers or {}, etag, packed)


@dataclass(slots=True)
class _Entry:
    rendered: Rendered
    version: int
    expires_at: float  # wall clock: the end of the minute it was rendered in, at the latest


@dataclass(slots=True)
class _Check:
    at: float  # monotonic
    generation: int
    version: int


Render = Callable[[AsyncSession], Awaitable[Rendered | None]]


class RenderCache:
    def __init__(
        self,
        state: Any,
        *,
        check_interval: float = 1.0,
        max_age: float = 60.0,
        db_timeout: float = 2.0,
        render_timeout: float = 10.0,
        max_entries: int = 5000,
    ) -> None:
        self._state = state  # app.state: its sessionmaker and engine are read at each use
        self.check_interval = check_interval
        self.max_age = max_age
        self.db_timeout = db_timeout
        self.render_timeout = render_timeout
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._checks: dict[str, _Check] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _generation(self) -> int:
        return status_versions.local_generation(self._state.engine.sync_engine)

    def _fresh(self, slug: str, entry: _Entry | None) -> bool:
        if entry is None or time.time() >= entry.expires_at:
            return False
        check = self._checks.get(slug)
        return (
            check is not None
            and check.version == entry.version
            and check.generation == self._generation()
            and time.monotonic() - check.at < self.check_interval
        )

    async def get(self, slug: str, representation: str, render: Render) -> tuple[Rendered, str] | None:
        """The page's bytes and how they were found (HIT, MISS or STALE); None if there is no page."""
        key = (slug, representation)
        entry = self._entries.get(key)
        if self._fresh(slug, entry):
            assert entry is not None
            return entry.rendered, "HIT"
        lock = self._locks.setdefault(slug, asyncio.Lock())
        if lock.locked() and entry is not None:
            return entry.rendered, "STALE"  # someone is refreshing it right now
        async with lock:
            entry = self._entries.get(key)
            if self._fresh(slug, entry):
                assert entry is not None
                return entry.rendered, "HIT"
            try:
                return await self._refresh(slug, key, entry, render)
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                if entry is None:
                    log.warning("status page %s unavailable: the database failed (%r)", slug, exc)
                    raise Unavailable("the status page is unavailable for a moment: try again") from exc
                log.warning("status page %s served stale: the database failed (%r)", slug, exc)
                return entry.rendered, "STALE"

    async def _refresh(
        self, slug: str, key: tuple[str, str], entry: _Entry | None, render: Render
    ) -> tuple[Rendered, str] | None:
        generation = self._generation()  # before the read: a commit meanwhile forces another check
        sessionmaker: async_sessionmaker[AsyncSession] = self._state.sessionmaker
        async with sessionmaker() as db:
            async with asyncio.timeout(self.db_timeout if entry is not None else None):
                found = await status_versions.version_of(db, slug)
            if found is None:
                self._forget(slug)
                return None
            version = found[1]
            self._checks[slug] = _Check(time.monotonic(), generation, version)
            if entry is not None and entry.version == version and time.time() < entry.expires_at:
                return entry.rendered, "HIT"
            async with asyncio.timeout(self.render_timeout if entry is not None else None):
                rendered = await render(db)
        if rendered is None:
            self._forget(slug)
            return None
        self._store(key, _Entry(rendered, version, _expiry(time.time(), self.max_age)))
        return rendered, "MISS"

    def _store(self, key: tuple[str, str], entry: _Entry) -> None:
        if key not in self._entries and len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest insertion goes first
        self._entries[key] = entry

    def _forget(self, slug: str) -> None:
        for key in [k for k in self._entries if k[0] == slug]:
            del self._entries[key]
        self._checks.pop(slug, None)


def _expiry(now: float, max_age: float) -> float:
    """The end of this minute (figures are as of the minute), or ``max_age`` from now if sooner."""
    return min(now + max_age, (now // 60 + 1) * 60)


def cache_of(state: Any) -> RenderCache:
    """The app's render cache, made on first use."""
    cache: RenderCache | None = getattr(state, "render_cache", None)
    if cache is None:
        cache = state.render_cache = RenderCache(state)
    return cache


def respond(request: Request, rendered: Rendered, state: str, cache_control: str) -> Response:
    """The cached bytes as an answer: 304 for a matching ``If-None-Match``, gzip when accepted,
    headers only for HEAD. The gzip variant has its own ETag (``-gz``), as a strong ETag must."""
    packed = rendered.gzipped is not None and "gzip" in request.headers.get("accept-encoding", "").lower()
    etag = f'"{rendered.etag}-gz"' if packed else f'"{rendered.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        "X-Cache": state,
        **rendered.headers,
    }
    sent = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in sent.split(",")}
    if tags & {f'"{rendered.etag}"', f'"{rendered.etag}-gz"', "*"}:
        return Response(status_code=304, headers=headers)
    body = rendered.gzipped if packed and rendered.gzipped is not None else rendered.body
    if packed:
        headers["Content-Encoding"] = "gzip"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=rendered.media_type)
    return Response(body, media_type=rendered.media_type, headers=headers)

"""Status page subscribers: double opt-in, one-click unsubscribe, and page notices through the outbox.

Every mail — the confirmation and each notice — is an ``AlertEvent`` with one ``Delivery`` per
subscriber, written in the caller's transaction and sent by the dispatcher with the alerts'
retries, so a mail server's bad hour loses nothing. No token is stored: a link carries the
subscriber's id and an HMAC of it under the install's secret key (``link_token``), so a copy of
the database cannot unsubscribe or confirm anybody.

A subscribe request answers the same whether the address is new, waiting for confirmation or
already subscribed, and it is rate limited per client address and per email.

**Webhook subscribers** (as Statuspage offers): ``subscribe_webhook`` takes a URL instead of an
email. They opt in twice too, since anyone could type someone else's URL: the first POST to the
URL is a ``subscription_confirmation`` carrying a ``confirm_url`` (open it — a GET — to start the
notices) and the ``signing_secret`` every later POST is signed with (``X-StatusPing-Signature``,
as alert webhooks). Every POST carries its ``unsubscribe_url`` (POST it to stop). Deliveries go
through the same outbox, with the SSRF guard of outbound HTTP at every connect
(notifications/subscribers/webhook.py).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import InvalidInput, NotFound
from statusping.domain.monitors import check_http_url
from statusping.security import token_digest, tokens_equal
from statusping.services import rate_limits
from statusping.services.rate_limits import Limit
from statusping.storage.models import StatusPage, Subscriber
from statusping.storage.repositories.outbox import OutboxRepository
from statusping.storage.repositories.status_pages import StatusPageRepository
from statusping.storage.repositories.subscribers import SubscriberRepository

CONFIRM_WITHIN = timedelta(hours=48)  # unconfirmed rows (and their links) expire after this
CONFIRM_EVENT = "subscriber_confirm"
NOTICE_EVENT = "subscriber_notice"
MAX_COMPONENTS = 200
WEBHOOK_URL_MAX = 1000
# Each subscribe sends a mail to an address the requester typed: few per address, fewer per email.
SUBSCRIBE_ADDRESS = Limit(
    "subscribe-ip", 20, timedelta(hours=1), "Too many subscriptions from this address. Try again later."
)
SUBSCRIBE_EMAIL = Limit(
    "subscribe-email", 5, timedelta(hours=1), "Too many subscriptions for this email. Try again later."
)
PENDING = "If this address can receive mail, a confirmation link is on its way. Follow it to subscribe."
PENDING_WEBHOOK = (
    "If this URL accepts our POST, it receives a subscription_confirmation with a confirm_url: "
    "open that link to start receiving notices."
)
SUBSCRIBE_WEBHOOK = Limit(
    "subscribe-webhook", 5, timedelta(hours=1), "Too many subscriptions for this URL. Try again later."
)
WEBHOOK_KEY_PREFIX = "webhook:"


def webhook_key(url: str) -> str:
    """What a webhook subscriber stores in ``email`` (models/subscriber.py): unique per URL."""
    return WEBHOOK_KEY_PREFIX + hashlib.sha256(url.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PageNotice:
    """What a page tells its subscribers: public words only (never a monitor's technical cause)."""

    # down | up | incident_created | incident_updated | incident_resolved | maintenance_scheduled |
    # maintenance_started | maintenance_completed | maintenance_cancelled
    kind: str
    subject: str
    text: str
    occurred_at: datetime
    # The components it is about (monitor ids); empty: the whole page, every subscriber.
    component_ids: list[str] = field(default_factory=list)


def link_token(secret_key: str, purpose: str, subscriber_id: uuid.UUID) -> str:
    return f"{subscriber_id.hex}.{token_digest(secret_key, f'{purpose}:{subscriber_id}')[:40]}"


def _token_id(secret_key: str, purpose: str, token: str) -> uuid.UUID | None:
    head, _, _ = token.partition(".")
    try:
        key = uuid.UUID(hex=head)
    except ValueError:
        return None
    return key if tokens_equal(link_token(secret_key, purpose, key), token) else None


def _clean_email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"email: not an email address ({exc})", field="email") from None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def page_by_slug(db: AsyncSession, slug: str) -> StatusPage:
    found = await StatusPageRepository(db).by_slug(slug.lower())
    if found is None:
        raise NotFound("there is no status page at this address")
    return found[0]


async def subscribe(
    db: AsyncSession,
    page: StatusPage,
    email: str,
    *,
    component_ids: Sequence[str] | None,
    client_ip: str | None,
    now: datetime,
) -> str:
    """Start a subscription (or resend its confirmation); returns the one answer everybody gets."""
    address = _clean_email(email)
    wanted = await _check_components(db, page, component_ids)
    checks = [(SUBSCRIBE_EMAIL, f"{page.id}:{_digest(address)}")]
    if client_ip:
        checks.append((SUBSCRIBE_ADDRESS, client_ip))
    await rate_limits.enforce_all(db, checks, now)
    await rate_limits.record_all(db, checks, now)
    repo = SubscriberRepository(db)
    await repo.prune_unconfirmed(now - CONFIRM_WITHIN)
    subscriber = await repo.find(page.id, address)
    if subscriber is not None and subscriber.confirmed_at is not None:
        return PENDING  # already subscribed: nothing to send, and the same answer
    if subscriber is None:
        subscriber = Subscriber(id=uuid.uuid4(), status_page_id=page.id, email=address)
        repo.add(subscriber)
    subscriber.created_at = now  # a new request starts a new confirmation period
    subscriber.component_ids = wanted
    await db.flush()
    await _enqueue(db, page, CONFIRM_EVENT, {"kind": "confirm"}, [subscriber.id], now, monitor_id=None)
    return PENDING


async def subscribe_webhook(
    db: AsyncSession,
    page: StatusPage,
    url: str,
    *,
    component_ids: Sequence[str] | None,
    client_ip: str | None,
    allow_private: bool,
    now: datetime,
) -> str:
    """Start a webhook subscription (or resend its confirmation); the same answer for everybody."""
    target = check_http_url(url, allow_private=allow_private, field="webhook_url")
    if len(target) > WEBHOOK_URL_MAX:
        raise InvalidInput(f"webhook_url must be at most {WEBHOOK_URL_MAX} characters", field="webhook_url")
    wanted = await _check_components(db, page, component_ids)
    key = webhook_key(target)
    checks = [(SUBSCRIBE_WEBHOOK, f"{page.id}:{_digest(target)}")]
    if client_ip:
        checks.append((SUBSCRIBE_ADDRESS, client_ip))
    await rate_limits.enforce_all(db, checks, now)
    await rate_limits.record_all(db, checks, now)
    repo = SubscriberRepository(db)
    await repo.prune_unconfirmed(now - CONFIRM_WITHIN)
    subscriber = await repo.find(page.id, key)
    if subscriber is not None and subscriber.confirmed_at is not None:
        return PENDING_WEBHOOK
    if subscriber is None:
        subscriber = Subscriber(id=uuid.uuid4(), status_page_id=page.id, email=key, webhook_url=target)
        repo.add(subscriber)
    subscriber.created_at = now
    subscriber.component_ids = wanted
    await db.flush()
    await _enqueue(db, page, CONFIRM_EVENT, {"kind": "confirm"}, [subscriber.id], now, monitor_id=None)
    return PENDING_WEBHOOK


async def _check_components(
    db: AsyncSession, page: StatusPage, component_ids: Sequence[str] | None
) -> list[str] | None:
    if not component_ids:
        return None
    if len(component_ids) > MAX_COMPONENTS:
        raise InvalidInput(f"choose at most {MAX_COMPONENTS} components", field="component_ids")
    repo = StatusPageRepository(db)
    shown = await repo.configured(page.id) or await repo.public_monitors(page.organization_id)
    public = {str(r.monitor_id) for r in shown if r.public}
    chosen = list(dict.fromkeys(str(c) for c in component_ids))
    unknown = [c for c in chosen if c not in public]
    if unknown:
        raise InvalidInput(f"unknown component id {unknown[0]!r}", field="component_ids")
    return chosen


async def confirm(
    db: AsyncSession, page: StatusPage, token: str, *, secret_key: str, now: datetime
) -> Subscriber:
    key = _token_id(secret_key, "confirm", token)
    subscriber = await SubscriberRepository(db).get(page.id, key) if key else None
    if subscriber is None or (
        subscriber.confirmed_at is None and subscriber.created_at < now - CONFIRM_WITHIN
    ):
        raise NotFound("this confirmation link is unknown or has expired: subscribe again")
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
    return subscriber


async def subscriber_for(
    db: AsyncSession, page: StatusPage, token: str, *, secret_key: str
) -> Subscriber | None:
    """The subscriber an unsubscribe link names, or None if it is unknown (already gone)."""
    key = _token_id(secret_key, "unsubscribe", token)
    if key is None:
        raise NotFound("this unsubscribe link is not valid")
    return await SubscriberRepository(db).get(page.id, key)


async def unsubscribe(db: AsyncSession, page: StatusPage, token: str, *, secret_key: str) -> None:
    """Remove the subscriber and, with it (cascade), every mail still waiting for it."""
    subscriber = await subscriber_for(db, page, token, secret_key=secret_key)
    if subscriber is not None:
        await SubscriberRepository(db).remove(subscriber)


# Notices --------------------------------------------------------------------------------------


async def notify_subscribers(
    db: AsyncSession,
    page: StatusPage,
    notice: PageNotice,
    now: datetime,
    *,
    extra: dict[str, Any] | None = None,
    deliver_at: datetime | None = None,
) -> int:
    """Queue ``notice`` for the page's confirmed subscribers who want it; returns how many.

    Call it in the transaction that makes the change (an incident posted, updated or resolved), so
    the notice and the change commit together. ``extra`` adds fields to the notice's body (what a
    webhook subscriber receives); ``deliver_at`` holds it back until then.
    """
    wanted = set(notice.component_ids)
    subscribers = [
        sid
        for sid, components in await SubscriberRepository(db).confirmed(page.id)
        if not wanted or components is None or wanted & set(components)
    ]
    if subscribers:
        body = {
            "kind": notice.kind,
            "subject": notice.subject,
            "text": notice.text,
            "occurred_at": _iso(notice.occurred_at),
            "component_ids": notice.component_ids,
            **(extra or {}),
        }
        await _enqueue(db, page, NOTICE_EVENT, body, subscribers, now, monitor_id=None, deliver_at=deliver_at)
    return len(subscribers)


@dataclass(frozen=True, slots=True)
class OutageChange:
    """A public monitor's confirmed outage began (``down``) or ended (``up``)."""

    monitor_id: uuid.UUID
    kind: str
    at: datetime
    started_at: datetime


async def notify_outages(db: AsyncSession, changes: Sequence[OutageChange], now: datetime) -> None:
    """Tell the subscribers of every page showing these monitors (the recorder's transaction)."""
    if not changes:
        return
    shown = await SubscriberRepository(db).pages_showing(
        sorted({c.monitor_id for c in changes}), automatic=True
    )
    for change in changes:
        for page, monitor_id, name in shown:
            if monitor_id == change.monitor_id:
                await notify_subscribers(db, page, outage_notice(page, name, change), now)


def outage_notice(page: StatusPage, name: str, change: OutageChange) -> PageNotice:
    since = change.started_at.strftime("%Y-%m-%d %H:%M UTC")
    if change.kind == "down":
        subject = f"[{page.title}] {name} is unavailable"
        text = f"{name} has not been responding since {since}. We are looking into it."
    else:
        minutes = max(1, round((change.at - change.started_at).total_seconds() / 60))
        subject = f"[{page.title}] Resolved: {name} is available again"
        unit = "minute" if minutes == 1 else "minutes"
        text = f"{name} is responding again after {minutes} {unit} (down since {since})."
    return PageNotice(change.kind, subject, text, change.at, [str(change.monitor_id)])


def incident_notice(
    page: StatusPage,
    title: str,
    status: str,
    message: str,
    component_ids: list[str],
    at: datetime,
    *,
    new: bool,
) -> PageNotice:
    """A communication incident posted or updated (services/status_incidents.py)."""
    label = status.capitalize()
    kind = (
        "incident_resolved" if status == "resolved" else ("incident_created" if new else "incident_updated")
    )
    subject = f"[{page.title}] {'Resolved: ' if status == 'resolved' else ''}{title}"
    return PageNotice(kind, subject, f"{title}\n\n{label} — {message}", at, list(component_ids))


# Maintenance --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaintenanceChange:
    """A maintenance window scheduled, rescheduled or cancelled (``event``), as its subscribers hear
    of it: its next occurrence (the running one, or the next within a year; None: none is left)."""

    maintenance_id: uuid.UUID
    organization_id: uuid.UUID
    title: str
    monitor_ids: list[str] | None  # None: every monitor of the organization
    next_span: tuple[datetime, datetime] | None
    recurring: bool
    event: str  # scheduled | rescheduled | cancelled


async def notify_maintenance(db: AsyncSession, change: MaintenanceChange, now: datetime) -> int:
    """Tell the subscribers of every page showing a component the window covers that it is
    scheduled, and queue notices for the moments its next occurrence starts and ends (sent then by
    the dispatcher). A reschedule or a cancellation first drops the notices still waiting from
    before; a cancellation is told only while an occurrence is still to come or running. Call it in
    the transaction that saves (or deletes) the window; returns how many pages were told."""
    await cancel_maintenance_notices(db, change.maintenance_id)
    if change.next_span is None:
        return 0
    starts_at, ends_at = change.next_span
    told = 0
    for page, shown in await _pages_of(db, change.organization_id):
        affected = [m for m in shown if change.monitor_ids is None or m in change.monitor_ids]
        if not affected:
            continue
        names = ", ".join(shown[m] for m in affected)
        components = [] if change.monitor_ids is None else affected
        when = f"from {_utc(starts_at)} to {_utc(ends_at)}" + (" (it repeats)" if change.recurring else "")
        verb = {
            "scheduled": "Scheduled maintenance",
            "rescheduled": "Maintenance rescheduled",
            "cancelled": "Maintenance cancelled",
        }[change.event]
        what = f"It was planned {when}" if change.event == "cancelled" else f"{verb} {when}"
        told_now = PageNotice(
            "maintenance_cancelled" if change.event == "cancelled" else "maintenance_scheduled",
            f"[{page.title}] {verb}: {change.title}",
            f"{change.title}\n\n{what}.\nAffected: {names}.",
            now,
            components,
        )
        extra = {"maintenance_id": str(change.maintenance_id), "starts_at": _iso(starts_at),
                 "ends_at": _iso(ends_at)}  # fmt: skip
        await notify_subscribers(db, page, told_now, now, extra=extra)
        if starts_at > now and change.event != "cancelled":
            started = PageNotice(
                "maintenance_started",
                f"[{page.title}] Maintenance in progress: {change.title}",
                f"{change.title}\n\nMaintenance has begun and is expected to end at {_utc(ends_at)}.\n"
                f"Affected: {names}.",
                starts_at,
                components,
            )
            await notify_subscribers(db, page, started, now, extra=extra, deliver_at=starts_at)
        if ends_at > now and change.event != "cancelled":
            completed = PageNotice(
                "maintenance_completed",
                f"[{page.title}] Maintenance completed: {change.title}",
                f"{change.title}\n\nThe maintenance window ended at {_utc(ends_at)}.\nAffected: {names}.",
                ends_at,
                components,
            )
            await notify_subscribers(db, page, completed, now, extra=extra, deliver_at=ends_at)
        told += 1
    return told


async def cancel_maintenance_notices(db: AsyncSession, maintenance_id: uuid.UUID) -> None:
    """Drop the start and end notices of this window not sent yet (it was rescheduled or deleted)."""
    await SubscriberRepository(db).drop_pending_notices(NOTICE_EVENT, "maintenance_id", str(maintenance_id))


async def _pages_of(db: AsyncSession, organization_id: uuid.UUID) -> list[tuple[StatusPage, dict[str, str]]]:
    """The organization's pages with confirmed subscribers, each with the public components it
    shows (monitor id → the name shown)."""
    found = []
    repo = StatusPageRepository(db)
    for page in await SubscriberRepository(db).pages_with_subscribers(organization_id):
        rows = await repo.configured(page.id) or await repo.public_monitors(organization_id)
        found.append((page, {str(r.monitor_id): r.name for r in rows if r.public}))
    return found


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _enqueue(
    db: AsyncSession,
    page: StatusPage,
    kind: str,
    notice: dict[str, Any],
    subscriber_ids: Sequence[uuid.UUID],
    now: datetime,
    *,
    monitor_id: uuid.UUID | None,
    deliver_at: datetime | None = None,
) -> None:
    payload = {"page": {"id": str(page.id), "slug": page.slug, "title": page.title}, "notice": notice}
    event, _ = OutboxRepository(db).add_event(
        organization_id=page.organization_id,
        monitor_id=monitor_id,
        kind=kind,
        payload=payload,
        channel_ids=[],
        now=now,
    )
    # A notice due later (a maintenance start) counts its day of retries from when it is due.
    due = deliver_at or now
    rows = [
        {"id": uuid.uuid4(), "organization_id": page.organization_id, "event_id": event.id,
         "subscriber_id": sid, "status": "pending", "attempts": 0, "next_attempt_at": due,
         "created_at": due}
        for sid in subscriber_ids
    ]  # fmt: skip
    await db.flush()  # the event row first: the deliveries refer to it
    await SubscriberRepository(db).add_deliveries(rows)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")

"""The dispatcher: claims due deliveries from the outbox, sends them, records every attempt.

Runs in ``statusping serve`` and in ``statusping worker``; several may share one PostgreSQL
database (claims use ``FOR UPDATE SKIP LOCKED`` and a lease). Delivery is at least once: a claim
pushes the row's due time one short lease (10 s by default) ahead, and a second loop renews the
leases of the sends still in flight every third of a lease. A slow send (SMTP may take 20 s,
Apprise 30 s) therefore keeps its claim for as long as its dispatcher lives, while the claim of a
dispatcher that died (SIGKILL, power loss) comes due again within one lease: the message may then
go out a second time, never zero times.

Each try is written as a ``sending`` attempt in the claim's own transaction, before any network
call; a try cut off by a crash is found there by the next claim and shown as "may have been sent"
(``unknown``). Every try of a delivery carries the delivery's id as its idempotency key (webhook
``Idempotency-Key`` and ``X-StatusPing-Delivery`` headers, the email's ``Message-ID``), so the
receiver can drop the second copy. Failures are retried with exponential backoff for up to a day;
a permanent failure (a 404 hook, a refused address) stops at once and shows in
``GET /api/v1/notifications``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from statusping.background import BackgroundLoop
from statusping.config import Settings
from statusping.domain.messages import AlertMessage, build_message
from statusping.mail import Mailer
from statusping.notifications.base import Channel, DeliveryError
from statusping.notifications.registry import build_channels
from statusping.notifications.subscribers import mail as subscriber_mail
from statusping.notifications.subscribers import webhook as subscriber_webhook
from statusping.outbound.http import HttpClient
from statusping.storage.repositories.outbox import SUBSCRIBER_KIND, Claimed, OutboxRepository, Outcome
from statusping.supervisor import Loop, LoopSpec, Supervisor

log = logging.getLogger(__name__)

SUSPENDED_BY_PLAN = "not sent: this channel is suspended because the organization's plan lacks its kind"
SEND_DEADLINE_SECONDS = 60.0  # channels have shorter timeouts of their own; this is the backstop


@dataclass(frozen=True)
class DispatcherOptions:
    poll_interval: float = 1.0
    batch_size: int = 50
    concurrency: int = 20
    # How long a claim outlives a dispatcher that stopped renewing it; renewed every third of it.
    lease: timedelta = timedelta(seconds=10)
    backoff_base: float = 30.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 3600.0
    give_up_after: timedelta = timedelta(hours=24)
    stall_after: float = 30.0  # no completed claim poll for this long: /api/health answers 503
    shutdown_grace: float = 10.0  # a stop waits this long for sends in flight, then cancels them

    @property
    def renew_every(self) -> float:
        return max(self.lease.total_seconds() / 3, 0.1)

    def retry_at(self, *, attempts: int, attempted_at: datetime, created_at: datetime) -> datetime | None:
        """When to try again after ``attempts`` failures, or None once a day has gone by."""
        delay = min(self.backoff_base * 2 ** (attempts - 1), self.backoff_max)
        at = attempted_at + timedelta(seconds=delay)
        return at if at <= created_at + self.give_up_after else None


@dataclass(frozen=True, slots=True)
class Attempt:
    ok: bool
    error: str | None
    permanent: bool
    duration_ms: float


async def send_now(
    channels: dict[str, Channel], kind: str, config: dict[str, Any], message: AlertMessage, key: str
) -> Attempt:
    """One try through one channel, timed; never raises for a delivery failure. ``key``: the
    idempotency key, the same on every try of one delivery."""
    return await timed_attempt(channels[kind].send(message, config, key), kind)


async def timed_attempt(sending: Coroutine[Any, Any, None], kind: str) -> Attempt:
    """Await one send under the deadline, timed; a ``DeliveryError`` or a bug becomes a failed attempt."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(SEND_DEADLINE_SECONDS):
            await sending
    except DeliveryError as exc:
        return Attempt(False, exc.message, exc.permanent, _ms(started))
    except TimeoutError:
        return Attempt(False, f"no answer within {SEND_DEADLINE_SECONDS:g} s", False, _ms(started))
    except Exception as exc:  # a bug in a channel must not kill the loop; record it and retry
        log.exception("channel %s failed unexpectedly", kind)
        return Attempt(False, f"unexpected error: {type(exc).__name__}: {exc}"[:300], False, _ms(started))
    return Attempt(True, None, False, _ms(started))


def message_for(claimed: Claimed, base_url: str) -> AlertMessage:
    status = "paused" if claimed.monitor_paused else claimed.monitor_status
    return build_message(claimed.event_kind, claimed.payload, base_url, status_now=status)


class Dispatcher(BackgroundLoop):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        http_client: HttpClient,
        mailer: Mailer,
        options: DispatcherOptions | None = None,
        *,
        owner: str | None = None,
        supervisor: Supervisor | None = None,
    ) -> None:
        super().__init__(sessionmaker, owner=owner, supervisor=supervisor)
        self.settings = settings
        self.options = options or DispatcherOptions(
            backoff_base=settings.alert_retry_seconds,
            lease=timedelta(seconds=settings.alert_lease_seconds),
            stall_after=settings.loop_stall_seconds,
        )
        self.channels = build_channels(mailer, http_client, smtp_configured=settings.smtp_configured)
        self.mailer = mailer
        self.http_client = http_client  # webhook subscribers of status pages
        self._inflight: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._sends_done = asyncio.Event()  # set once the sends in flight at a stop are over

    async def run(self) -> None:
        """Run the claim loop under the supervisor until :meth:`stop`; then wait, bounded, for sends."""
        log.info("dispatcher %s starting", self.owner)
        spec = LoopSpec("dispatcher", self.options.stall_after)
        loop = self.supervisor.start(spec, self._claim_loop, stop=self._stop)
        # Not critical for health: the claim loop already reports a lost database.
        leases = self.supervisor.start(
            LoopSpec("dispatcher-leases", self.options.stall_after, critical=False),
            self._lease_loop,
            stop=self._sends_done,
        )
        await self._stop.wait()
        await loop.finish(self.options.shutdown_grace)
        if self._inflight:
            # Unfinished sends keep their lease (renewed until here) and come due again one lease
            # after; their tries stay "sending" and the next claim shows them as may-have-been-sent.
            _, unfinished = await asyncio.wait(self._inflight.values(), timeout=self.options.shutdown_grace)
            for task in unfinished:
                task.cancel()
        self._sends_done.set()
        await leases.finish(self.options.shutdown_grace)
        log.info("dispatcher %s stopped", self.owner)

    async def _claim_loop(self, loop: Loop) -> None:
        """Claim due deliveries and start them; a database error ends it and the supervisor restarts it."""
        while not self._stop.is_set():
            free = self.options.concurrency - len(self._inflight)
            if free <= 0:
                # Sends end by their own deadline, so waiting for one is progress, not a stall.
                await asyncio.wait(
                    self._inflight.values(),
                    timeout=self.options.poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                loop.progress()
                continue
            limit = min(free, self.options.batch_size)
            claimed = await self._claim(limit)
            loop.progress()
            for item in claimed:
                task = asyncio.create_task(self._deliver(item), name=f"delivery-{item.delivery_id}")
                self._inflight[item.delivery_id] = task
                task.add_done_callback(functools.partial(self._forget, item.delivery_id))
            if len(claimed) < limit:
                await self._sleep(self.options.poll_interval)

    def _forget(self, delivery_id: uuid.UUID, _: asyncio.Task[None]) -> None:
        self._inflight.pop(delivery_id, None)

    async def _claim(self, limit: int) -> list[Claimed]:
        async with self._transaction() as db:
            return await OutboxRepository(db).claim_due(
                owner=self.owner,
                now=_now(),
                limit=limit,
                lease=self.options.lease,
                exclude=list(self._inflight),
            )

    async def _lease_loop(self, loop: Loop) -> None:
        """Renew the leases of the sends in flight, so a live peer never takes a slow send over."""
        while not self._sends_done.is_set():
            inflight = list(self._inflight)
            if inflight:
                async with self._transaction() as db:
                    held = await OutboxRepository(db).renew(
                        self.owner, inflight, now=_now(), lease=self.options.lease
                    )
                if held < len(inflight):
                    # Settled meanwhile (fine), or the lease ran out while the database was away and
                    # another dispatcher took the delivery: the receiver may then get it twice.
                    log.debug("renewed %d of %d leases", held, len(inflight))
            loop.progress()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sends_done.wait(), self.options.renew_every)

    async def _deliver(self, claimed: Claimed) -> None:
        if claimed.channel_suspended:
            # Kept for an upgrade, but the plan lacks its kind: recorded as not sent, never dropped silently.
            attempt = Attempt(False, SUSPENDED_BY_PLAN, True, 0.0)
        elif claimed.channel_kind == SUBSCRIBER_KIND and claimed.subscriber_webhook_url:
            sending = subscriber_webhook.send(self.http_client, self.settings, claimed)
            attempt = await timed_attempt(sending, SUBSCRIBER_KIND)
        elif claimed.channel_kind == SUBSCRIBER_KIND:  # a status page subscriber's mail
            sending = subscriber_mail.send(self.mailer, self.settings, claimed)
            attempt = await timed_attempt(sending, SUBSCRIBER_KIND)
        else:
            message = message_for(claimed, self.settings.base_url)
            attempt = await send_now(
                self.channels,
                claimed.channel_kind,
                claimed.channel_config,
                message,
                claimed.idempotency_key,
            )
        attempted_at = _now()
        retry_at = None
        error = attempt.error
        if not attempt.ok and not attempt.permanent:
            retry_at = self.options.retry_at(
                attempts=claimed.attempts, attempted_at=attempted_at, created_at=claimed.created_at
            )
            if retry_at is None:
                error = f"gave up after {claimed.attempts} attempts: {error}"
        outcome = Outcome(attempt.ok, error, attempt.permanent, attempt.duration_ms, attempted_at, retry_at)
        log.log(
            logging.INFO if attempt.ok else logging.WARNING,
            "delivery %s (%s, %s) attempt %d: %s in %.0f ms",
            claimed.delivery_id,
            claimed.event_kind,
            claimed.channel_kind,
            claimed.attempts,
            "sent" if attempt.ok else f"failed ({error})",
            attempt.duration_ms,
        )
        try:
            async with self._transaction() as db:
                if not await OutboxRepository(db).settle(claimed, self.owner, outcome):
                    log.info("delivery %s was re-claimed or deleted meanwhile", claimed.delivery_id)
        except Exception:
            # The lease runs out and the delivery comes due again: sent twice (its try stays
            # "sending", then "unknown"), never lost.
            log.exception("recording delivery %s failed", claimed.delivery_id)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _now() -> datetime:
    return datetime.now(UTC)

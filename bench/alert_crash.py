"""Alert delivery across a SIGKILL: how late, how often twice, and whether each repeat is on record.

One command (``python bench/alert_crash.py``, ``--postgres`` for PostgreSQL). In one run it:

1. creates a fresh database, migrates it and writes ``--alerts`` alert events (one organization,
   one webhook channel) due now, as the engine would after that many monitors went down;
2. starts a webhook receiver in this process that answers each request after a random
   ``--min-delay``..``--max-delay`` seconds (slow receivers keep many sends in flight at once);
3. starts ``statusping worker`` (engine and dispatcher), SIGKILLs it once ``--kill-after`` requests
   have arrived, and starts it again at once;
4. waits until every alert has been answered with 200, then reports: how long after the restart
   the alerts the dead worker had in flight went out, and the last alert of all (the backlog drains
   at the receiver's pace), alerts the receiver got more than once, and for each of those whether
   the attempt log shows a try as "may have been sent" (``unknown``) or "sending".

A receiver that got a request counts it, answered or not: it may act on it either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from _engine_db import BenchDatabase, create_database, drop_database
from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.migrate import upgrade
from statusping.storage.models import Channel, DeliveryAttempt, Organization
from statusping.storage.repositories.outbox import OutboxRepository

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Report:
    database: str
    alerts: int
    killed_after_arrivals: int
    delivered_before_kill: int
    in_flight_at_kill: int  # arrived at the receiver, unanswered when the worker died
    in_flight_delivered_after_restart_max_s: float  # the dead dispatcher's claims: max lateness
    restart_to_last_delivery_s: float  # every alert answered (includes draining the backlog)
    lost: int
    received_twice: int  # arrived twice (the receiver may act on a request it never answered)
    answered_twice: int  # answered 200 twice: the sender saw both go through
    twice_and_on_record: int  # of those, a try shown as unknown/sending in the attempt log
    deliveries_with_maybe_sent: int
    total_seconds: float


class Receiver:
    def __init__(self, min_delay: float, max_delay: float) -> None:
        self.min_delay, self.max_delay = min_delay, max_delay
        self.arrivals: Counter[str] = Counter()
        self.answered: dict[str, float] = {}  # key -> monotonic time of the first 200 that reached
        self.answers: Counter[str] = Counter()  # 200s that reached their sender, per key
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        key = request.headers.get("Idempotency-Key") or request.headers.get("X-StatusPing-Delivery") or ""
        if not key:  # a build without idempotency keys: tell requests apart by the event id
            key = str((await request.json()).get("event_id"))
        self.arrivals[key] += 1
        await asyncio.sleep(random.uniform(self.min_delay, self.max_delay))
        if request.transport is None or request.transport.is_closing():
            return web.Response(status=499)  # its sender is gone
        self.answered.setdefault(key, time.monotonic())
        self.answers[key] += 1
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def seed(db: BenchDatabase, alerts: int, hook_url: str) -> list[str]:
    engine = create_engine(db.url)
    try:
        await upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        now = datetime.now(UTC)
        async with sessionmaker() as session, session.begin():
            org = Organization(name="Bench", slug=f"bench-{os.getpid()}")
            session.add(org)
            await session.flush()
            channel = Channel(organization_id=org.id, name="Hook", kind="webhook", config={"url": hook_url})
            session.add(channel)
            await session.flush()
            repo = OutboxRepository(session)
            ids = []
            for i in range(alerts):
                payload = {"version": 1, "event": "down", "monitor": {"id": str(i), "name": f"m{i}"}}
                _, deliveries = repo.add_event(
                    organization_id=org.id, monitor_id=None, kind="down", payload=payload,
                    channel_ids=[channel.id], now=now,
                )  # fmt: skip
                ids.append(str(deliveries[0].id))
        return ids
    finally:
        await engine.dispose()


async def tries_on_record(db: BenchDatabase) -> dict[str, Counter[str]]:
    """delivery id -> count of its attempt rows by status (status is "ok"/"failed" on old builds)."""
    engine = create_engine(db.url)
    found: dict[str, Counter[str]] = defaultdict(Counter)
    try:
        async with engine.connect() as conn:
            has_status = hasattr(DeliveryAttempt, "status")
            column = DeliveryAttempt.status if has_status else DeliveryAttempt.ok
            rows = await conn.execute(
                select(DeliveryAttempt.delivery_id, column, func.count()).group_by(
                    DeliveryAttempt.delivery_id, column
                )
            )
            for delivery_id, status, count in rows:
                found[str(delivery_id)][str(status)] += int(count)
    finally:
        await engine.dispose()
    return found


def start_worker(db: BenchDatabase, workdir: Path, log: Any) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env.update(
        {
            "STATUSPING_DATABASE_URL": db.url,
            "STATUSPING_MODE": "selfhosted",
            "STATUSPING_DATA_DIR": str(workdir),
            "STATUSPING_ALERT_RETRY_SECONDS": "1",
        }
    )
    executable = str(Path(sys.executable).with_name("statusping"))
    return subprocess.Popen(
        [executable, "worker"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )


async def run(args: argparse.Namespace) -> Report:
    receiver = Receiver(args.min_delay, args.max_delay)
    await receiver.start()
    db = await create_database(args.postgres)
    workdir = Path(tempfile.mkdtemp(prefix="statusping-alert-crash-"))
    log = (workdir / "worker.log").open("ab")
    try:
        ids = await seed(db, args.alerts, f"http://127.0.0.1:{receiver.port}/hook")
        began = time.monotonic()
        worker = start_worker(db, workdir, log)
        while sum(receiver.arrivals.values()) < args.kill_after:  # noqa: ASYNC110 (a poll is the point)
            await asyncio.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        delivered_before = len(receiver.answered)
        cut_off = [key for key in receiver.arrivals if key not in receiver.answered]
        restarted = time.monotonic()
        worker = start_worker(db, workdir, log)
        try:
            deadline = restarted + args.timeout
            while len(receiver.answered) < len(ids) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            await asyncio.sleep(2)  # let the last settles commit
        finally:
            worker.terminate()
            worker.wait()
        after = [t for t in receiver.answered.values() if t >= restarted]
        cut_off_after = [receiver.answered[k] - restarted for k in cut_off if k in receiver.answered]
        record = await tries_on_record(db)
        twice = [key for key, n in receiver.arrivals.items() if n > 1]
        uncertain = {"unknown", "sending"}
        return Report(
            database=db.kind,
            alerts=len(ids),
            killed_after_arrivals=args.kill_after,
            delivered_before_kill=delivered_before,
            in_flight_at_kill=len(cut_off),
            in_flight_delivered_after_restart_max_s=round(max(cut_off_after, default=0.0), 2),
            restart_to_last_delivery_s=round(max(after) - restarted, 2) if after else 0.0,
            lost=len(ids) - len(receiver.answered),  # keys are 1:1 with deliveries (one channel)
            received_twice=len(twice),
            answered_twice=len([k for k, n in receiver.answers.items() if n > 1]),
            twice_and_on_record=len([k for k in twice if uncertain & set(record.get(k, {}))]),
            deliveries_with_maybe_sent=len([k for k, c in record.items() if uncertain & set(c)]),
            total_seconds=round(time.monotonic() - began, 1),
        )
    finally:
        log.close()
        await receiver.stop()
        await drop_database(db)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=240)
    parser.add_argument("--kill-after", type=int, default=100, help="SIGKILL once this many requests arrived")
    parser.add_argument("--min-delay", type=float, default=0.2)
    parser.add_argument("--max-delay", type=float, default=1.5)
    parser.add_argument("--timeout", type=float, default=300.0, help="give up this long after the restart")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, default=None, metavar="ADMIN_URL")
    args = parser.parse_args()
    print(json.dumps(asdict(asyncio.run(run(args))), indent=2))


if __name__ == "__main__":
    main()

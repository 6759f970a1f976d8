"""The `statusping` command (PRODUCT.md §2)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from statusping.config import Mode, Settings
from statusping.domain.errors import StatusPingError
from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.migrate import upgrade
from statusping.supervisor import INCURABLE, Supervisor, backoff, describe

if TYPE_CHECKING:
    from statusping.mail import Mailer
    from statusping.notifications.dispatcher import Dispatcher

T = TypeVar("T")
log = logging.getLogger(__name__)
WEB_NICENESS = 5  # how much serve lowers its web process's CPU priority below its engine process's


def _settings(**overrides: str | None) -> Settings:
    """The settings from the environment, with command-line options (those given) over them."""
    given: dict[str, Any] = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        lines = [
            f"  STATUSPING_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        ]
        raise click.ClickException("invalid configuration:\n" + "\n".join(lines)) from None


def _check_bindable(address: str) -> None:
    """Refuse to start with a source address this host does not have (else every check fails)."""
    import socket

    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as exc:
            raise click.ClickException(f"cannot send checks from {address}: {exc.strerror or exc}") from None


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


async def _with_session(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as db:
            result = await work(db)
            await db.commit()
            return result
    finally:
        await engine.dispose()


def _run(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except StatusPingError as exc:
        raise click.ClickException(exc.detail) from None


@click.group()
@click.version_option(package_name="statusping")
def main() -> None:
    """StatusPing: uptime monitoring with public status pages."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-engine", is_flag=True, help="web only; run checks with `statusping worker`")
def serve(host: str, port: int, no_engine: bool) -> None:
    """Serve the web app, with the check engine and alert dispatcher in a process of their own that
    serve starts, restarts if it dies and stops with it (applies pending migrations first)."""
    from statusping.engine.process import EngineProcess

    settings = _settings()
    _configure_logging(settings)
    engine_process: EngineProcess | None = None
    if not no_engine:
        # Migrate, then start the engine process before the web's own imports: the two start side by
        # side, and after a crash checking resumes within seconds.
        _ = settings.resolved_secret_key  # makes the data directory (private) for its status file
        _run(_migrate(settings))
        engine_process = EngineProcess(EngineProcess.status_file_of(settings.data_dir))
        engine_process.start()
        # Checks are due at a given second, page views can wait a moment: when the CPU is short, the
        # kernel gives the engine process about three times the web's share.
        with contextlib.suppress(OSError, AttributeError):
            os.nice(WEB_NICENESS)

    import uvicorn

    from statusping.app import create_app
    from statusping.web.limits import MAX_HEADER_BYTES
    from statusping.web.live import Server

    class ServeServer(Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            # The engine process starts its own graceful stop now, while the web finishes its requests.
            if engine_process is not None:
                engine_process.signal_stop()

    app = create_app(settings, migrate=no_engine, engine=engine_process or False)
    click.echo(f"StatusPing on http://{host}:{port}  (database: {_safe_url(settings)})")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        # Above the app's own header limit, so an oversized header section gets its 431 from the app.
        h11_max_incomplete_event_size=2 * MAX_HEADER_BYTES,
    )
    ServeServer(config).run()  # uvicorn's server, but it ends open dashboard streams when it stops


@main.command()
@click.option("--region", default=None, help="region label of this engine [default: STATUSPING_REGION]")
@click.option(
    "--source-address",
    default=None,
    metavar="IP",
    help="send this engine's checks from this local address [default: STATUSPING_SOURCE_ADDRESS]",
)
# What `serve` passes to the worker it runs as its engine process (engine/process.py).
@click.option("--no-migrate", is_flag=True, hidden=True)
@click.option("--status-file", type=click.Path(path_type=Path), default=None, hidden=True)
@click.option("--parent-pid", type=int, default=None, hidden=True)
def worker(
    region: str | None,
    source_address: str | None,
    no_migrate: bool,
    status_file: Path | None,
    parent_pid: int | None,
) -> None:
    """Run the check engine alone; any number may share one PostgreSQL database.

    Database errors are retried (the loops restart with backoff) for as long as it takes; the worker
    exits non-zero only on errors no restart can cure, such as a bad configuration. It runs on uvloop
    where uvloop is installed.
    """
    settings = _settings(region=region, source_address=source_address)
    if settings.source_address is not None:
        _check_bindable(settings.source_address)
    _configure_logging(settings)
    if parent_pid is None:
        source = f", checks from {settings.source_address}" if settings.source_address else ""
        click.echo(f"StatusPing worker, region {settings.region}{source} (database: {_safe_url(settings)})")
    try:
        failed = _run_fast(
            _run_worker(settings, migrate=not no_migrate, status_file=status_file, parent_pid=parent_pid)
        )
    except INCURABLE as exc:
        raise click.ClickException(f"cannot run: {describe(exc)}") from None
    if failed:
        raise click.ClickException(f"cannot run: {failed}")


def _run_fast(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run``, on uvloop's event loop where it is installed (not on Windows)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


async def _run_worker(
    settings: Settings,
    *,
    migrate: bool = True,
    status_file: Path | None = None,
    parent_pid: int | None = None,
) -> str | None:
    """Run engine and dispatcher until SIGINT/SIGTERM (or, as serve's engine process, until serve is
    gone); returns why a loop died, if one did."""
    import signal

    from statusping.engine.process import watch_parent
    from statusping.engine.setup import engine_options, target_policy
    from statusping.engine.worker import Engine
    from statusping.outbound.http import HttpClient
    from statusping.process_status import LiveStatus, StatusFileWriter

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)  # one handler: a second add would replace the first
    parent_watch = watch_parent(parent_pid, stopping) if parent_pid is not None else None
    engine = create_engine(settings.database_url)
    client = HttpClient(target_policy(settings), source_address=settings.source_address)
    try:
        if migrate and not await _upgrade_when_reachable(engine, stopping):
            return None
        await client.start()
        sessionmaker = create_sessionmaker(engine)
        supervisor = Supervisor()
        check_engine = Engine(sessionmaker, client, engine_options(settings), supervisor=supervisor)
        checking = asyncio.ensure_future(check_engine.run())
        # The alert channels' imports (apprise's among them) cost a second of a busy CPU: made on a
        # thread while the first checks run, so that after a restart checking resumes sooner.
        dispatcher_class, mailer_class = await asyncio.to_thread(_alerting_classes)
        mailer = mailer_class(settings)
        dispatcher = dispatcher_class(sessionmaker, settings, client, mailer, supervisor=supervisor)
        running = asyncio.gather(checking, dispatcher.run())
        running.add_done_callback(lambda _: stopping.set())
        reported = asyncio.Event()
        reporting = None
        if status_file is not None:
            writer = StatusFileWriter(status_file, LiveStatus(supervisor, check_engine.figures))
            reporting = asyncio.create_task(writer.run(reported))
        # A signal, or a loop that no restart can cure (the supervisor has logged why).
        await _first(stopping, supervisor.dead)
        check_engine.stop()
        dispatcher.stop()
        await running
        reported.set()
        if reporting is not None:
            await reporting
        if parent_watch is not None:
            parent_watch.cancel()
        dead = [f"{name}: {s.last_error}" for name, s in supervisor.loops.items() if s.state == "dead"]
        return "; ".join(dead) or None
    finally:
        await client.close()
        await engine.dispose()


def _alerting_classes() -> tuple[type[Dispatcher], type[Mailer]]:
    from statusping.mail import Mailer
    from statusping.notifications.dispatcher import Dispatcher

    return Dispatcher, Mailer


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


async def _upgrade_when_reachable(engine: AsyncEngine, stopping: asyncio.Event) -> bool:
    """Apply migrations, waiting with backoff while the database cannot be reached; False if stopped."""
    failures = 0
    while not stopping.is_set():
        try:
            await upgrade(engine)
            return True
        except (OSError, TimeoutError, DBAPIError) as exc:
            failures += 1
            delay = backoff(failures)
            log.warning("database not reachable (%s); retrying in %.0f s", describe(exc), delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
    return False


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


@main.group()
def db() -> None:
    """Database schema."""


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all pending migrations."""
    settings = _settings()
    _run(_migrate(settings))
    click.echo(f"database is up to date ({_safe_url(settings)})")


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--org", "org_name", required=True, help="organization name (joined if it exists)")
def user_create(email: str, password: str, org_name: str) -> None:
    """Create a user in a new organization, or as admin of the existing one of that name."""
    from statusping.services import accounts

    settings = _settings()
    account = _run(
        _with_session(
            settings,
            lambda db: accounts.create_user(db, email=email, password=password, org_name=org_name),
        )
    )
    click.echo(
        f"created {account.user.email} ({account.membership.role}) in "
        f"{account.organization.name} [{account.organization.slug}]"
    )


@user.command("reset-two-factor")
@click.option("--email", required=True)
def user_reset_two_factor(email: str) -> None:
    """Turn off two-factor sign-in for a user who lost both phone and recovery codes."""
    from statusping.services import two_factor

    was_on = _run(_with_session(_settings(), lambda db: two_factor.reset_by_operator(db, email)))
    click.echo(
        f"two-factor sign-in is off for {email}; they sign in with the password and can set it up again"
        if was_on
        else f"two-factor sign-in was not on for {email}; nothing changed"
    )


@main.group()
def org() -> None:
    """Organizations."""


@main.command()
def regions() -> None:
    """List the regions workers have reported from: live workers, last report, and silent ones.

    Exits 1 when a region has no live worker (it is out of every monitor's quorum), so a cron job
    or a probe can alert the operator.
    """
    from datetime import UTC, datetime, timedelta

    from statusping.services.regions import region_health

    settings = _settings()
    window = timedelta(seconds=settings.region_live_seconds)

    async def work(db: AsyncSession) -> list[Any]:
        return await region_health(db, now=datetime.now(UTC), live_window=window)

    found = _run(_with_session(settings, work))
    if not found:
        click.echo("no worker has reported yet")
        return
    for region in found:
        seen = region.last_seen_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        state = f"{region.workers_alive} live worker(s)" if region.live else "SILENT: no live worker"
        click.echo(f"{region.name:<16} {state:<24} last report {seen}")
    silent = [region.name for region in found if not region.live]
    if silent:
        raise click.ClickException(f"region(s) without a live worker: {', '.join(silent)}")


@org.command("set-plan")
@click.argument("slug")
@click.argument("plan", type=click.Choice(["free", "pro", "business"]))
def org_set_plan(slug: str, plan: str) -> None:
    """Put organization SLUG on PLAN; its limits hold at once (nothing is deleted on a downgrade)."""
    from datetime import UTC, datetime

    from statusping.services import plans

    settings = _settings()

    async def work(db: AsyncSession) -> plans.PlanChange:
        now = datetime.now(UTC)
        return await plans.set_plan_by_slug(
            db, slug=slug, plan=plan, now=now, enforce=settings.mode is Mode.SAAS
        )

    change = _run(_with_session(settings, work))
    click.echo(f"{change.organization.slug} is now on the {change.new_plan} plan")
    for line in change.summary():
        click.echo(f"  {line}")

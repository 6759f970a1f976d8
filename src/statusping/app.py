"""The web application: ``create_app()`` builds it; resources are made in the lifespan, not at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from statusping import __version__
from statusping.background import BackgroundLoop
from statusping.config import Settings
from statusping.engine.probe import EngineProber
from statusping.engine.process import EngineProcess
from statusping.engine.setup import engine_options, target_policy
from statusping.engine.worker import Engine
from statusping.mail import Mailer
from statusping.notifications.dispatcher import Dispatcher
from statusping.notifications.registry import Registry, build_channels
from statusping.notifications.sender import ChannelSenderAdapter
from statusping.outbound.http import HttpClient
from statusping.outbound.stripe_billing import billing_gateway
from statusping.process_status import LiveStatus, StatusFileReader, StatusSource
from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.migrate import upgrade
from statusping.supervisor import Supervisor
from statusping.web.api.health import DatabasePing
from statusping.web.api.health import router as health_router
from statusping.web.api.v1 import router as api_v1_router
from statusping.web.errors import install_error_handlers
from statusping.web.limits import RequestLimitsMiddleware, refuse_unstorable_params
from statusping.web.live import LiveHub
from statusping.web.middleware import SecurityHeadersMiddleware
from statusping.web.pages import router as pages_router
from statusping.web.public import router as public_router
from statusping.web.public.domains import PublicAddressesMiddleware
from statusping.web.templating import create_templates

WEB_DIR = Path(__file__).parent / "web"
log = logging.getLogger(__name__)


EngineMode = bool | Literal["process"] | EngineProcess


def create_app(
    settings: Settings | None = None, *, migrate: bool = True, engine: EngineMode = True
) -> FastAPI:
    """The web app, and where the check engine and alert dispatcher run beside it:

    - ``"process"``: in a process of their own that the app starts after its migrations, restarts if
      it dies and stops when the app stops (``engine/process.py``), so web traffic never takes the
      event loop from the checks; it reports through a status file. ``statusping serve`` passes an
      ``EngineProcess`` it started itself, so that the two processes start up side by side.
    - ``True``: as tasks on the web server's event loop (tests, embedding).
    - ``False``: not at all (``serve --no-engine``, with ``statusping worker`` elsewhere).
    """
    settings = settings or Settings()
    # Resolve (and if need be create) the key now, so a bad data directory fails at start.
    _ = settings.resolved_secret_key

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db_engine = create_engine(settings.database_url)
        if migrate:
            await upgrade(db_engine)
        app.state.engine = db_engine
        app.state.sessionmaker = create_sessionmaker(db_engine)
        app.state.read_sessionmaker = create_sessionmaker(db_engine, read_first=True)  # GET, HEAD
        app.state.live = live = LiveHub(app.state.sessionmaker)  # open dashboards' event streams
        app.state.mailer = Mailer(settings)
        app.state.http_client = http_client = HttpClient(target_policy(settings))
        await http_client.start()
        app.state.check_engine = None
        app.state.database_ping = DatabasePing(db_engine)
        status: StatusSource | None = None
        engine_process: EngineProcess | None = None
        # The ports check-now and channel tests use (services/ports.py), built once here.
        app.state.prober = EngineProber(http_client)
        channels = build_channels(app.state.mailer, http_client, smtp_configured=settings.smtp_configured)
        app.state.channel_sender = ChannelSenderAdapter(channels, settings.base_url)
        app.state.channel_kinds = Registry()
        # Stripe, when billing is on (saas with the four STATUSPING_STRIPE_* values); else None.
        app.state.billing = billing_gateway(settings)
        # Every background loop of this process runs under it; /api/health reads it.
        app.state.supervisor = supervisor = Supervisor()
        background: list[tuple[BackgroundLoop, asyncio.Task[None]]] = []
        background_tasks: list[asyncio.Task[None]] = []
        if isinstance(engine, EngineProcess) or engine == "process":
            if isinstance(engine, EngineProcess):
                engine_process = engine
            else:
                engine_process = EngineProcess(EngineProcess.status_file_of(settings.data_dir))
                engine_process.start()
            status = StatusFileReader(engine_process.status_file, started=engine_process.started_at)
            background_tasks.append(asyncio.create_task(engine_process.watch(), name="engine-process"))
        elif engine:
            # `serve` embeds what `statusping worker` runs: the checks and the alert deliveries.
            check_engine = Engine(
                app.state.sessionmaker, http_client, engine_options(settings), supervisor=supervisor
            )
            dispatcher = Dispatcher(
                app.state.sessionmaker, settings, http_client, app.state.mailer, supervisor=supervisor
            )
            app.state.check_engine = check_engine
            app.state.dispatcher = dispatcher
            status = LiveStatus(supervisor, check_engine.figures)
            background = [
                (check_engine, asyncio.create_task(check_engine.run(), name="check-engine")),
                (dispatcher, asyncio.create_task(dispatcher.run(), name="alert-dispatcher")),
            ]
        app.state.background_status = status  # what /api/health and /metrics report of the loops
        app.state.engine_process = engine_process
        try:
            yield
        finally:
            await live.aclose()
            if engine_process is not None:
                await engine_process.stop()
            for task in background_tasks:
                await task
            for service, task in background:
                service.stop()
                await task
            await http_client.close()
            if app.state.billing is not None:
                await app.state.billing.close()
            await db_engine.dispose()

    app = FastAPI(
        title="StatusPing",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by our own page with vendored assets (no CDN, strict CSP)
        redoc_url=None,
        dependencies=[Depends(refuse_unstorable_params)],
    )
    app.state.settings = settings
    app.state.templates = create_templates(settings)
    app.add_middleware(PublicAddressesMiddleware)  # innermost: its redirects get the headers too
    app.add_middleware(RequestLimitsMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(api_v1_router)
    app.include_router(pages_router)
    app.include_router(public_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app

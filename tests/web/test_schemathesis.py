"""Schemathesis over the whole OpenAPI document: no input gives a 5xx, no answer breaks the schema.

The real app runs in this process under uvicorn (a thread with its own event loop, so its lifespan
owns the database engine as in production); the Schemathesis CLI drives it with its examples,
coverage (boundary values), fuzzing and stateful phases (create → read → update → delete through the
document's links), signed in as a fresh user with the CSRF header, whose organization is on the
business plan so API keys and the team are reachable too. A fixed ``--max-examples`` keeps one
database pass around a minute.

Every operation documents two ways in: the session cookie *or* an API key (``Authorization: Bearer``).
Left to itself Schemathesis generates the credential it was not given - a ``Bearer`` header, mostly
empty - next to our cookie, and the API rightly judges a bearer call by its key alone (401), so most
operations answered only 401 and the run never reached their logic. We give the credential
ourselves and turn that generation off; missing and wrong credentials are the ``ignored_auth``
check's job and tests/web/test_api_keys.py's.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.app import create_app
from statusping.config import Settings
from statusping.services import plans
from statusping.storage.db import create_engine
from statusping.storage.models import Base
from tests.conftest import free_port
from tests.support import PASSWORD, unique_email

MAX_EXAMPLES = os.environ.get("STATUSPING_FUZZ_MAX_EXAMPLES", "10")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    ]
)
# Left out, each for a reason:
# - logout ends the very session the run is signed in with;
# - check-now and channel tests connect to whatever target the fuzzer wrote, out on the network;
#   their only input is the path id, which the same dependencies as pause/resume and PATCH resolve.
EXCLUDED = r"^(POST /api/v1/auth/logout|POST /api/v1/monitors/\{monitor_id\}/check|POST /api/v1/channels/\{channel_id\}/test)$"
# The run fails when an operation answered nothing but 401/403 ("missing_auth"): a session that
# stops counting partway leaves the rest of the run knocking at the door. Log-in is spared that
# warning: it answers 401 to a wrong email or password, which is all the fuzzer can make up.
CONFIG = """
[warnings]
fail-on = ["missing_auth"]

[[operations]]
include-name = "POST /api/v1/auth/login"
warnings = false
"""


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot own signals
        pass


@pytest.fixture
def live_app(settings: Settings) -> Iterator[str]:
    port = free_port()
    app = create_app(settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"}), migrate=False)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="fuzzed-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the app stopped while starting"
        assert time.monotonic() < deadline, "the app did not start within 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        asyncio.run(_empty_tables(settings.database_url))


async def _make_business(url: str, slug: str) -> None:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as db, db.begin():
            await plans.set_plan_by_slug(db, slug=slug, plan="business", now=datetime.now(UTC))
    finally:
        await engine.dispose()


async def _empty_tables(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
    finally:
        await engine.dispose()


def test_no_input_gives_a_server_error_or_an_answer_outside_the_schema(
    live_app: str, settings: Settings, tmp_path: Path
) -> None:
    signed_up = httpx.post(
        f"{live_app}/api/v1/auth/signup",
        json={"email": unique_email("fuzz"), "password": PASSWORD, "organization": "Fuzz Inc"},
    )
    assert signed_up.status_code == 201, signed_up.text
    session, csrf = signed_up.cookies["statusping_session"], signed_up.cookies["statusping_csrf"]
    me = httpx.get(f"{live_app}/api/v1/me", cookies=signed_up.cookies)
    assert me.status_code == 200, me.text
    asyncio.run(_make_business(settings.database_url, me.json()["organization"]["slug"]))
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("st")),
        "--no-color",
        "--config-file", str(config),
        "run",
        f"{live_app}/api/openapi.json",
        "--header", f"Cookie: statusping_session={session}; statusping_csrf={csrf}",
        "--header", f"X-CSRF-Token: {csrf}",
        "--checks", CHECKS,
        "--exclude-name-regex", EXCLUDED,
        "--generation-with-security-parameters", "false",
        "--max-examples", MAX_EXAMPLES,
        "--workers", "1",
        "--suppress-health-check", "all",
        "--generation-database", "none",
        "--report", "junit",
        "--report-dir", str(tmp_path),
    ]  # fmt: skip
    # Run where its replay and example stores cannot litter the checkout.
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]

"""The CLI as an operator runs it: a real `statusping` process against the suite's database."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.e2e.conftest import statusping_executable
from tests.support import PASSWORD, login, unique_email


def run_cli(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env["STATUSPING_DATABASE_URL"] = database_url
    return subprocess.run(
        [statusping_executable(), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_db_upgrade_on_an_empty_directory_creates_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    result = run_cli("db", "upgrade", database_url=url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "fresh.db").exists()


def test_the_sqlite_database_and_its_data_dir_are_private_to_their_owner(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    args = ["user", "create", "--email", unique_email(), "--password", PASSWORD, "--org", "Private"]
    old_umask = os.umask(0o022)  # the usual umask: files would be world-readable by default
    try:
        result = subprocess.run(
            [statusping_executable(), *args],
            cwd=tmp_path,
            env=env,  # the zero-config default: ./data/statusping.db
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    data = tmp_path / "data"
    assert data.stat().st_mode & 0o777 == 0o700
    files = [p for p in data.iterdir() if p.name.startswith("statusping.db")]
    assert data / "statusping.db" in files
    for path in files:  # the database and its -wal/-shm companions
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_an_older_world_readable_database_is_made_private_on_start(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{database}"
    assert run_cli("db", "upgrade", database_url=url, cwd=tmp_path).returncode == 0
    database.chmod(0o644)
    assert run_cli("db", "upgrade", database_url=url, cwd=tmp_path).returncode == 0
    assert database.stat().st_mode & 0o777 == 0o600


async def test_user_create_then_set_plan_is_what_the_api_reports(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    email = unique_email()
    created = run_cli(
        "user",
        "create",
        "--email",
        email,
        "--password",
        PASSWORD,
        "--org",
        "Initech",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert "initech" in created.stdout

    upgraded = run_cli("org", "set-plan", "initech", "business", database_url=database_url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr

    assert (await login(client, email)).status_code == 200
    me = (await client.get("/api/v1/me")).json()
    assert me["organization"] == {**me["organization"], "slug": "initech", "plan": "business"}
    assert me["role"] == "owner"


def test_cli_errors_are_one_clear_line_and_a_nonzero_exit(database_url: str, tmp_path: Path) -> None:
    missing = run_cli("org", "set-plan", "no-such-org", "pro", database_url=database_url, cwd=tmp_path)
    assert missing.returncode != 0
    assert "no organization with slug 'no-such-org'" in missing.stderr
    assert "Traceback" not in missing.stderr

    bad_plan = run_cli("org", "set-plan", "x", "platinum", database_url=database_url, cwd=tmp_path)
    assert bad_plan.returncode == 2
    assert "platinum" in bad_plan.stderr

    weak = run_cli(
        "user",
        "create",
        "--email",
        unique_email(),
        "--password",
        "short",
        "--org",
        "X",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert weak.returncode != 0
    assert "at least 8 characters" in weak.stderr

    email = unique_email()
    for password, reason in [("password", "top-10 common password"), (email, "your email address")]:
        refused = run_cli(
            "user", "create", "--email", email, "--password", password, "--org", "X",
            database_url=database_url,
            cwd=tmp_path,
        )  # fmt: skip
        assert refused.returncode != 0
        assert reason in refused.stderr
        assert "Traceback" not in refused.stderr


def test_bad_configuration_stops_the_cli_with_the_variable_named(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", database_url="mysql://nope", cwd=tmp_path)
    assert result.returncode != 0
    assert "STATUSPING_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr

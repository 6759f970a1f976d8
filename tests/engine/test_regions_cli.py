"""`statusping worker --region/--source-address` refuse what cannot work, in one clear line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import statusping_executable


def worker(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env["STATUSPING_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    return subprocess.run(
        [statusping_executable(), "worker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--source-address", "192.0.2.77"],
            "cannot send checks from 192.0.2.77: Cannot assign requested address",
        ),
        (
            ["--source-address", "not-an-ip"],
            "STATUSPING_SOURCE_ADDRESS: Value error, not an IP address: 'not-an-ip'",
        ),
        (["--region", "EU West"], "STATUSPING_REGION: Value error, use lower-case letters"),
    ],
)
def test_a_worker_refuses_an_address_it_does_not_have_and_a_bad_region_name(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = worker(tmp_path, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr

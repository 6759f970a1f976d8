"""`statusping serve` as a user runs it: a real process, zero configuration, real HTTP."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.support import PASSWORD, unique_email


def test_a_fresh_directory_serves_with_zero_configuration(tmp_path: Path) -> None:
    server = start_server(tmp_path / "fresh", {})
    try:
        with httpx.Client(base_url=server.url) as client:
            email = unique_email()
            signup = client.post(
                "/api/v1/auth/signup",
                json={"email": email, "password": PASSWORD, "organization": "Fresh Start"},
            )
            assert signup.status_code == 201
            me = client.get("/api/v1/me").json()
            assert me["organization"]["slug"] == "fresh-start"
            assert client.get("/s/fresh-start").status_code == 200
            assert client.get("/").status_code == 200
        data = server.workdir / "data"
        assert (data / "statusping.db").exists()
        for private in (data, data / "secret_key"):
            mode = stat.S_IMODE(private.stat().st_mode)
            assert mode & (stat.S_IRWXG | stat.S_IRWXO) == 0, (private, oct(mode))
    finally:
        stop_server(server)


def test_the_generated_secret_survives_a_restart(tmp_path: Path) -> None:
    """Sessions outlive a restart, because the key generated on first start is reused."""
    workdir = tmp_path / "restart"
    server = start_server(workdir, {})
    try:
        with httpx.Client(base_url=server.url) as first:
            first.post(
                "/api/v1/auth/signup",
                json={"email": unique_email(), "password": PASSWORD, "organization": "Again"},
            )
            cookies = first.cookies
    finally:
        stop_server(server)
    key_before = (workdir / "data" / "secret_key").read_text()
    server = start_server(workdir, {})
    try:
        client = httpx.Client(base_url=server.url, cookies=cookies)
        assert client.get("/api/v1/me").status_code == 200
        assert (workdir / "data" / "secret_key").read_text() == key_before
    finally:
        client.close()
        stop_server(server)


def test_signup_and_csrf_over_real_http(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": unique_email(), "password": PASSWORD, "organization": "Live Org"},
        )
        assert response.status_code == 201
        assert client.post("/api/v1/auth/logout").status_code == 403
        csrf = client.cookies["statusping_csrf"]
        assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert client.get("/api/v1/me").status_code == 401

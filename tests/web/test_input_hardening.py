"""Input that cannot crash the API: every way issue 8 found to get a 500 is now a clear 4xx.

Runs on SQLite and on PostgreSQL (which refuses NUL bytes and cannot compare them, so that is where
most of these used to fail).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.web.api.types import Input
from statusping.web.error_docs import api_routes
from statusping.web.limits import MAX_BODY_BYTES, PING_BODY_BYTES
from statusping.web.redirects import safe_next
from tests.conftest import make_client
from tests.support import PASSWORD, signup, unique_email

HTMX = {"HX-Request": "true"}
NUL = "\x00"
MIB = 1024 * 1024


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Every feature (maintenance windows too) without plan limits, so each case reaches its input.
    return {"mode": "selfhosted"}


def problems(response: httpx.Response) -> str:
    """The validation messages of a 422, as one string to search."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " | ".join(f"{d['loc']}: {d['msg']}" for d in detail)


async def create_monitor(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Job", "type": "heartbeat", "interval_seconds": 60, "grace_seconds": 30, **fields}
    response = await client.post("/api/v1/monitors", json=body)
    assert response.status_code == 201, response.text
    monitor: dict[str, Any] = response.json()
    return monitor


class TestNulBytesAndLoneSurrogates:
    async def test_a_nul_in_a_signup_is_refused_and_no_account_is_made(
        self, client: httpx.AsyncClient
    ) -> None:
        email = unique_email()
        for body in (
            {"email": email, "password": PASSWORD, "organization": f"Acme{NUL}Inc"},
            {"email": email, "password": f"pass{NUL}word-long", "organization": "Acme"},
        ):
            assert "NUL" in problems(await client.post("/api/v1/auth/signup", json=body))
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 401

    async def test_a_nul_in_a_login_or_reset_email_is_refused(self, client: httpx.AsyncClient) -> None:
        email = f"a{NUL}@example.com"
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert "NUL" in problems(login)
        assert "NUL" in problems(await client.post("/api/v1/auth/password-reset", json={"email": email}))

    async def test_a_nul_in_the_html_signup_form_is_refused(self, client: httpx.AsyncClient) -> None:
        form = {"email": unique_email(), "password": PASSWORD, "organization": f"Acme{NUL}"}
        response = await client.post("/signup", data=form)
        assert response.status_code == 422
        assert "statusping_session" not in client.cookies

    async def test_a_nul_or_lone_surrogate_anywhere_in_a_monitor_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        http = {"name": "Site", "type": "http", "url": "https://example.com/", "interval_seconds": 60}
        for change, named in (
            ({"name": f"Job{NUL}"}, "name"),
            ({"headers": {"X-Token": f"a{NUL}b"}}, "headers"),
            ({"headers": {f"X{NUL}": "b"}}, "headers"),
            ({"json_path": "$.status", "json_expected": f"ok{NUL}"}, "json_expected"),
        ):
            response = await client.post("/api/v1/monitors", json={**http, **change})
            assert named in problems(response)
            assert "NUL" in problems(response)
        # json.dumps escapes a lone surrogate as \ud800; the parser turns it back into one.
        raw = b'{"name": "Site", "type": "http", "url": "https://example.com/", "json_path": "$.a", "json_expected": "\\ud800"}'
        response = await client.post(
            "/api/v1/monitors", content=raw, headers={"content-type": "application/json"}
        )
        assert "surrogate" in problems(response)
        assert (await client.get("/api/v1/monitors")).json() == []

    async def test_a_nul_or_lone_surrogate_in_a_channel_config_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        body = {"name": "Ops", "kind": "webhook", "config": {"url": f"https://example.com/{NUL}"}}
        assert "config" in problems(await client.post("/api/v1/channels", json=body))
        raw = b'{"name": "Ops", "kind": "email", "config": {"to": ["\\udfff@example.com"]}}'
        response = await client.post(
            "/api/v1/channels", content=raw, headers={"content-type": "application/json"}
        )
        assert "surrogate" in problems(response)

    @pytest.mark.parametrize("path", ["/ping/abc%00def", "/ping/abc%00def/fail", "/s/acme%00", "/s/%00"])
    async def test_a_nul_in_a_public_path_is_not_found(self, client: httpx.AsyncClient, path: str) -> None:
        assert (await client.get(path)).status_code == 404

    async def test_a_nul_in_an_api_path_or_query_is_refused(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        monitor = await create_monitor(client)
        assert (await client.get("/api/v1/monitors/%00")).status_code == 404
        assert (await client.get(f"/api/v1/monitors/{monitor['id']}%00")).status_code == 404
        response = await client.get(f"/api/v1/monitors/{monitor['id']}/stats", params={"window": NUL})
        assert response.status_code == 422
        assert (await client.get("/login", params={"next": f"/x{NUL}"})).status_code == 422

    async def test_a_lone_surrogate_in_header_values_is_no_server_error(self, app: FastAPI) -> None:
        # A UTF-8 encoded surrogate is not valid UTF-8: it arrives as bytes the app reads as Latin-1.
        surrogate = "\ud800".encode("utf-8", "surrogatepass")
        async with make_client(app) as client:
            await signup(client)
            for name in ("user-agent", "x-csrf-token", "origin", "hx-request", "cookie"):
                response = await client.post("/api/v1/monitors", json={}, headers={name: b"a" + surrogate})
                assert response.status_code < 500, (name, response.text)
            signed_up = await client.post(
                "/api/v1/auth/signup",
                json={"email": unique_email(), "password": PASSWORD, "organization": "Acme"},
                headers={"user-agent": surrogate, "x-forwarded-for": surrogate},
            )
            assert signed_up.status_code == 201, signed_up.text


class TestRanges:
    @pytest.mark.parametrize(
        "when",
        [
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00-14:00",
            "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59+14:00",
            "1969-12-31T23:59:59Z",
            "2100-01-01T00:00:00Z",
            "1700000000",
        ],
    )
    async def test_a_datetime_out_of_range_is_refused_with_a_message(
        self, client: httpx.AsyncClient, when: str
    ) -> None:
        await signup(client)
        monitor = await create_monitor(client)
        results = await client.get(f"/api/v1/monitors/{monitor['id']}/results", params={"since": when})
        assert "since" in problems(results)
        before = await client.get("/api/v1/notifications", params={"before": when})
        assert "before" in problems(before)
        window = {"title": "Upgrade", "starts_at": when, "ends_at": "2030-01-01T01:00:00Z"}
        assert "starts_at" in problems(await client.post("/api/v1/maintenances", json=window))
        assert (await client.get("/api/v1/maintenances")).json() == []

    async def test_a_datetime_at_the_edges_of_the_range_is_fine(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        monitor = await create_monitor(client)
        for when in ("1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z", "1970-01-01T10:00:00+09:00"):
            response = await client.get(f"/api/v1/monitors/{monitor['id']}/results", params={"until": when})
            assert response.status_code == 200, response.text

    @pytest.mark.parametrize("offset", [2**63, 2**31, 10**9 + 1, -1])
    async def test_a_paging_offset_out_of_range_is_refused(
        self, client: httpx.AsyncClient, offset: int
    ) -> None:
        await signup(client)
        response = await client.get("/api/v1/monitors", params={"offset": offset})
        assert "offset" in problems(response)

    async def test_huge_and_non_finite_numbers_in_a_body_are_refused(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        http = {"name": "Site", "type": "http", "url": "https://example.com/", "json_path": "$.a"}
        for raw in (b"1e999", b"NaN", b"-Infinity", str(2**64).encode()):
            body = (
                b'{"name": "Site", "type": "http", "url": "https://example.com/", "json_path": "$.a", "json_expected": '
                + raw
                + b"}"
            )
            response = await client.post(
                "/api/v1/monitors", content=body, headers={"content-type": "application/json"}
            )
            assert "json_expected" in problems(response), raw
        assert (
            await client.post("/api/v1/monitors", json={**http, "json_expected": 2**53 - 1})
        ).status_code == 201


class _CountingBody:
    """A request body produced in chunks on demand, counting how much the server pulled."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"x" * self.chunk


class TestSizeLimits:
    async def test_a_declared_50_mb_body_is_refused_before_a_byte_is_read(
        self, client: httpx.AsyncClient
    ) -> None:
        body = _CountingBody(50 * MIB)
        response = await client.post(
            "/api/v1/auth/signup",
            content=body,
            headers={"content-type": "application/json", "content-length": str(body.total)},
        )
        assert response.status_code == 413
        assert "too large" in response.json()["detail"]
        assert body.sent <= body.chunk  # the transport may prime one chunk; nothing more was pulled

    @pytest.mark.parametrize("path", ["/api/v1/auth/signup", "/login", "/api/v1/auth/login"])
    async def test_a_streamed_50_mb_body_is_cut_off_at_the_limit(
        self, client: httpx.AsyncClient, path: str
    ) -> None:
        body = _CountingBody(50 * MIB)
        content_type = "application/x-www-form-urlencoded" if path == "/login" else "application/json"
        response = await client.post(path, content=body, headers={"content-type": content_type})
        assert response.status_code == 413
        assert "too large" in response.text  # JSON for the API, the error page for the form
        assert body.sent <= MAX_BODY_BYTES + 2 * body.chunk

    async def test_a_monitor_body_just_under_the_limit_is_judged_on_its_merits(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        padding = "x" * (MAX_BODY_BYTES - 200)
        body = {"name": "Big", "type": "http", "url": "https://example.com/", "keyword": padding}
        assert "keyword" in problems(await client.post("/api/v1/monitors", json=body))

    async def test_a_ping_with_a_long_body_still_counts(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        monitor = await create_monitor(client)
        path = monitor["ping_url"].removeprefix("http://testserver")
        body = _CountingBody(5 * MIB)
        response = await client.post(path, content=body)
        assert response.status_code == 200
        assert body.sent <= PING_BODY_BYTES + 2 * body.chunk
        shown = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
        assert shown["status"] == "up"

    async def test_an_oversized_header_section_is_431(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/health", headers={"x-padding": "a" * 40_000})
        assert response.status_code == 431
        assert "header" in response.json()["detail"]

    async def test_too_many_headers_is_431(self, client: httpx.AsyncClient) -> None:
        headers = [(f"x-h{i}", "1") for i in range(150)]
        response = await client.get("/api/health", headers=headers)
        assert response.status_code == 431

    async def test_ordinary_headers_pass(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/health", headers={"x-padding": "a" * 8000})
        assert response.status_code == 200


class TestNextAfterLogin:
    @pytest.mark.parametrize(
        "target",
        [
            "/\t/evil.example/x",
            "/\n/evil.example/x",
            "/\\evil.example",
            "/\\/evil.example",
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            " /dashboard",
            "/dash board",
            "/a\r\nSet-Cookie: x=1",
            "/\x00",
            "/\u2028/evil.example",
            "",
            "dashboard",
        ],
    )
    def test_anything_but_a_plain_local_path_falls_back_to_the_dashboard(self, target: str) -> None:
        assert safe_next(target) == "/dashboard"

    @pytest.mark.parametrize("target", ["/dashboard", "/monitors/abc?range=7d#chart", "/api/docs", "/s/acme"])
    def test_a_local_path_is_kept(self, target: str) -> None:
        assert safe_next(target) == target

    @pytest.mark.parametrize("target", ["/\t/evil.example/x", "/a\nb", "//evil.example", "/\\evil.example"])
    async def test_every_login_path_goes_to_the_dashboard_instead(self, app: FastAPI, target: str) -> None:
        email = unique_email()
        async with make_client(app) as client:
            await signup(client, email=email)
        for headers, expected in ((HTMX, 204), ({}, 303)):
            async with make_client(app) as browser:
                form = {"email": email, "password": PASSWORD, "next": target}
                response = await browser.post("/login", data=form, headers=headers)
                assert response.status_code == expected, response.text
                where = response.headers["HX-Redirect" if headers else "location"]
                assert where == "/dashboard"
                # Already signed in: the login page forwards, again only to a local path.
                again = await browser.get("/login", params={"next": target})
                assert again.status_code == 303
                assert again.headers["location"] == "/dashboard"

    async def test_the_login_page_does_not_carry_a_foreign_next_into_its_form(
        self, client: httpx.AsyncClient
    ) -> None:
        page = await client.get("/login", params={"next": "//evil.example"})
        assert "evil.example" not in page.text


class TestOpenApi:
    async def test_every_request_body_refuses_unstorable_input(self, app: FastAPI) -> None:
        """A new body model that forgets ``Input`` would bring the NUL-byte 500s back."""
        document = app.openapi()
        names = {
            ref.rsplit("/", 1)[-1]
            for operations in document["paths"].values()
            for operation in operations.values()
            for content in operation.get("requestBody", {}).get("content", {}).values()
            if (ref := content["schema"].get("$ref"))
        }
        models = {
            route.body_field.field_info.annotation
            for path, route in api_routes(app)
            if route.body_field is not None and path in document["paths"]  # pages post forms, not JSON
        }
        assert names, "no request bodies found"
        for model in models:
            assert isinstance(model, type), model
            assert issubclass(model, Input), model

    async def test_every_operation_documents_its_errors_with_the_detail_schema(self, app: FastAPI) -> None:
        document = app.openapi()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                responses = operation["responses"]
                signed_in = not path.startswith(
                    ("/api/health", "/api/v1/auth/password-reset")
                ) and path not in {
                    "/api/v1/auth/signup",
                    "/api/v1/auth/login",
                }
                expected = {"401", "403"} if signed_in else set()
                if "{" in path:
                    expected |= {"404", "422"}
                assert expected <= set(responses), (method, path, sorted(responses))
                for code, response in responses.items():
                    if code.startswith("4"):
                        schema = response["content"]["application/json"]["schema"]
                        assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
        signup_answers = document["paths"]["/api/v1/auth/signup"]["post"]["responses"]
        assert {"409", "422", "429"} <= set(signup_answers)
        assert "Retry-After" in signup_answers["429"]["headers"]

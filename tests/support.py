"""Helpers the tests share: a real SMTP server and the usual ways a user signs up."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller

PASSWORD = "correct horse battery"


@dataclass
class _Collector:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self._collector.messages

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    async def wait_for(self, count: int = 1, within: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + within
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} email(s), got {len(self.messages)}")
            await asyncio.sleep(0.05)
        return self.messages


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


async def signup(
    client: httpx.AsyncClient,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    organization: str = "Acme Inc",
) -> dict[str, Any]:
    """Sign up through the API and arm the client with the CSRF header, as a browser app would."""
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": email or unique_email(), "password": password, "organization": organization},
    )
    assert response.status_code == 201, response.text
    client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
    body: dict[str, Any] = response.json()
    return body


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    if response.status_code == 200:
        client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
    return response


async def eventually(check: Any, *, within: float = 20.0, every: float = 0.05) -> Any:
    """Poll ``check`` (an async callable) until it returns something truthy; fail after ``within``."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last value: {value!r})")
        await asyncio.sleep(every)

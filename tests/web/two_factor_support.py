"""Driving two-factor sign-in as a person would: the settings page shows a secret, an authenticator
app (pyotp here) computes codes from it."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

import httpx
import pyotp

STEP = 30


@dataclass
class Enrolled:
    secret: str
    recovery_codes: list[str]

    def code(self, steps_from_now: int = 0) -> str:
        """The code an app shows ``steps_from_now`` steps (30 s each) from now; the server accepts
        one step either side, so -1, 0 and +1 give three distinct codes valid right now."""
        return pyotp.TOTP(self.secret).at(time.time() + STEP * steps_from_now)


async def steady() -> None:
    """Wait while the current 30 s step is about to end, so a code computed now is still in the
    window the server checks a moment later."""
    left = STEP - time.time() % STEP
    if left < 2:
        await asyncio.sleep(left + 0.05)


def shown_secret(page: str) -> str:
    found = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page)
    assert found, "no secret shown"
    return found.group(1).replace(" ", "")


def shown_recovery_codes(page: str) -> list[str]:
    return re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", page)


async def enrol(client: httpx.AsyncClient) -> Enrolled:
    """Set up two-factor from the security page with a code for the previous step, leaving the
    current and next steps' codes for the test."""
    started = await client.post("/settings/security/setup")
    assert started.status_code == 303, started.text
    page = await client.get("/settings/security")
    secret = shown_secret(page.text)
    assert "<svg" in page.text
    await steady()
    enrolled = Enrolled(secret, [])
    confirmed = await client.post("/settings/security/confirm", data={"code": enrolled.code(-1)})
    assert confirmed.status_code == 200, confirmed.text
    enrolled.recovery_codes = shown_recovery_codes(confirmed.text)
    assert len(enrolled.recovery_codes) == 10
    return enrolled

"""Security headers on every response."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Everything the pages use is served from /static: no inline script or style, no third party.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# Sent only when the base URL is https: browsers then refuse plain http to this host for a year, so
# a network attacker cannot strip TLS off a later visit. Never on http (it would be ignored anyway,
# and a self-hosted http install must stay reachable).
HSTS_HEADER = ("Strict-Transport-Security", "max-age=31536000")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if _https_app(scope):
                    headers.setdefault(*HSTS_HEADER)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _https_app(scope: Scope) -> bool:
    # Starlette puts the application in the scope before any middleware runs; its settings say
    # whether the public address is https (behind a TLS-terminating proxy the request itself is not).
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    return bool(settings is not None and settings.base_url.startswith("https://"))

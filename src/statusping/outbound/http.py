"""The one outbound HTTP seam: every request a check (or anything else of ours) makes goes through here.

It owns what must hold for all of them: the SSRF guard, applied to each address right before its socket
connects (so neither DNS rebinding nor a redirect can slip past a check made earlier), a fresh
connection per request (a pooled socket hides a dead listener and makes connect/TLS timings lie),
manual redirects with a cap and an allowed-scheme list, the deadline, the timing breakdown, the peer
certificate, and turning client exceptions into our ``error_kind`` vocabulary (worded in
``outbound/failures.py``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from time import perf_counter
from typing import Any

import aiohappyeyeballs
import aiohttp
from aiohttp.client_proto import ResponseHandler
from cryptography import x509
from cryptography.x509.oid import NameOID
from yarl import URL

from statusping import __version__
from statusping.domain.checks import ErrorKind, Timings
from statusping.domain.targets import blocked_reason
from statusping.outbound.failures import (
    TargetBlocked,
    certificate_message,
    describe_failure,
    timeout_message,
)

USER_AGENT = f"StatusPing/{__version__} (+uptime monitor)"
MAX_REDIRECTS = 10
ALLOWED_SCHEMES = frozenset({"http", "https"})
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Headers that must not follow a redirect to another origin (they were meant for the first one).
_ORIGIN_BOUND_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TargetPolicy:
    """Which addresses outbound connections may reach (PRODUCT.md §3 STATUSPING_ALLOW_PRIVATE_TARGETS)."""

    allow_private: bool
    # Exceptions even when private targets are refused: an operator's internal allowlist (and tests).
    allowed_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: str) -> str | None:
        """``None`` when a connection to ``address`` may be made, else the human reason it may not."""
        if self.allow_private:
            return None
        reason = blocked_reason(address)
        if reason is None:
            return None
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return reason
        if any(ip in network for network in self.allowed_networks):
            return None
        return f"{reason}; checks may only reach public addresses"


class FetchError(Exception):
    """A request that produced no judgeable response, already described in our vocabulary."""

    def __init__(self, kind: ErrorKind, message: str, certificate: PeerCertificate | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.certificate = certificate


@dataclass(frozen=True)
class PeerCertificate:
    expires_at: datetime
    issuer: str

    @classmethod
    def from_der(cls, der: bytes | None) -> PeerCertificate | None:
        if not der:
            return None
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            return None
        return cls(expires_at=cert.not_valid_after_utc, issuer=_issuer_name(cert.issuer))


def _issuer_name(name: x509.Name) -> str:
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        attributes = name.get_attributes_for_oid(oid)
        if attributes:
            value = attributes[0].value
            return value if isinstance(value, str) else value.decode(errors="replace")
    return name.rfc4514_string()


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | bytes | None = None
    follow_redirects: bool = True
    verify_tls: bool = True


@dataclass(frozen=True)
class Fetched:
    """The final hop's response with headers read; its body is left for the caller to read, or not."""

    response: aiohttp.ClientResponse
    timings: Timings
    certificate: PeerCertificate | None
    redirects: int


# Timing ---------------------------------------------------------------------------------------


@dataclass
class _Hop:
    """What one request learns on its way: timings, the peer certificate, an address the guard refused."""

    dns_started: float | None = None
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    headers_sent: float | None = None
    certificate: bytes | None = None
    blocked: str | None = None

    def timings(self, headers_received: float) -> Timings:
        ttfb = None if self.headers_sent is None else _ms(self.headers_sent, headers_received)
        return Timings(self.dns_ms, self.connect_ms, self.tls_ms, ttfb)


# aiohttp gives the connector no per-request hook, so the current hop travels in a context variable
# (tasks aiohappyeyeballs starts copy the context, so they see the same record).
_HOP: ContextVar[_Hop | None] = ContextVar("statusping_http_hop", default=None)


def _ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else perf_counter()) - start) * 1000, 2)


def _trace_config() -> aiohttp.TraceConfig:
    """The moments aiohttp's tracing does expose: the DNS lookup, and the request having been sent."""

    async def dns_start(*_: Any) -> None:
        if (hop := _HOP.get()) is not None:
            hop.dns_started = perf_counter()

    async def dns_end(*_: Any) -> None:
        if (hop := _HOP.get()) is not None and hop.dns_started is not None:
            hop.dns_ms = _ms(hop.dns_started)

    async def headers_sent(*_: Any) -> None:
        if (hop := _HOP.get()) is not None:
            hop.headers_sent = perf_counter()

    trace = aiohttp.TraceConfig()
    trace.on_dns_resolvehost_start.append(dns_start)
    trace.on_dns_resolvehost_end.append(dns_end)
    trace.on_request_headers_sent.append(headers_sent)
    return trace


class _GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that refuses blocked addresses per socket and times TCP connect apart from TLS."""

    def __init__(self, policy: TargetPolicy) -> None:
        # force_close: a fresh connection per request; no DNS cache: each check resolves for itself;
        # limit=0: the scheduler bounds concurrency, a hidden connector queue would only distort timings.
        super().__init__(force_close=True, use_dns_cache=False, limit=0, socket_factory=self.open_socket)
        self._policy = policy

    def open_socket(self, addr_info: aiohappyeyeballs.AddrInfoType) -> socket.socket:
        """Called for every address right before it is connected: resolved names and IP literals alike."""
        family, type_, proto, _, address = addr_info
        reason = self._policy.refusal(str(address[0]))
        if reason is not None:
            if (hop := _HOP.get()) is not None:
                hop.blocked = reason
            raise TargetBlocked(reason)
        return socket.socket(family=family, type=type_, proto=proto)

    async def _wrap_create_connection(
        self,
        *args: Any,
        addr_infos: list[aiohappyeyeballs.AddrInfoType],
        req: aiohttp.ClientRequest,
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's own signature
        client_error: type[Exception] = aiohttp.ClientConnectorError,
        **kwargs: Any,
    ) -> tuple[asyncio.Transport, ResponseHandler]:
        # The base class connects and wraps TLS in one step; doing the TCP connect here first (as it
        # does, through aiohappyeyeballs and our socket factory) lets us time the two apart. The TLS
        # wrap then goes through aiohttp's own error mapping.
        hop = _HOP.get()
        started = perf_counter()
        try:
            sock = await aiohappyeyeballs.start_connection(
                addr_infos,
                local_addr_infos=self._local_addr_infos,
                happy_eyeballs_delay=self._happy_eyeballs_delay,
                interleave=self._interleave,
                loop=self._loop,
                socket_factory=self._socket_factory,
            )
        except OSError as exc:
            raise client_error(req.connection_key, exc) from exc
        connected = perf_counter()
        try:
            transport, protocol = await self._wrap_existing_connection(
                *args, req=req, timeout=timeout, client_error=client_error, sock=sock, **kwargs
            )
        except BaseException:
            sock.close()
            raise
        if hop is not None:
            hop.connect_ms = _ms(started, connected)
            if kwargs.get("ssl"):
                hop.tls_ms = _ms(connected)
                ssl_object = transport.get_extra_info("ssl_object")
                hop.certificate = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        return transport, protocol


# The client -----------------------------------------------------------------------------------


class HttpClient:
    """One shared session over a guarded, non-pooling connector; built in the app lifespan/worker start."""

    def __init__(self, policy: TargetPolicy, *, user_agent: str = USER_AGENT) -> None:
        self.policy = policy
        self.user_agent = user_agent
        self._connector: _GuardedConnector | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._connector = _GuardedConnector(self.policy)
        self._session = aiohttp.ClientSession(
            connector=self._connector,
            headers={"User-Agent": self.user_agent},
            # No jar: cookies from one monitor's target must never reach another's.
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),  # fetch() applies the deadline over all hops
            trace_configs=[_trace_config()],
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = self._connector = None

    @asynccontextmanager
    async def fetch(self, request: HttpRequest, *, timeout_seconds: float) -> AsyncIterator[Fetched]:
        """Send ``request``, following redirects if asked; any failure comes out as ``FetchError``.

        The deadline covers every hop and whatever the caller does with the body inside the block.
        """
        try:
            async with asyncio.timeout(timeout_seconds):
                fetched = await self._follow(request)
                try:
                    yield fetched
                finally:
                    fetched.response.close()
        except FetchError:
            raise
        except TimeoutError as exc:
            raise FetchError(ErrorKind.TIMEOUT, timeout_message(timeout_seconds)) from exc
        except Exception as exc:
            raise FetchError(*describe_failure(exc)) from exc

    async def _follow(self, request: HttpRequest) -> Fetched:
        url = _target_url(request.url)
        method, body, headers = request.method.upper(), request.body, dict(request.headers)
        for redirects in range(MAX_REDIRECTS + 1):
            response, hop = await self._hop(method, url, headers, body, verify=request.verify_tls)
            timings = hop.timings(perf_counter())
            location = response.headers.get("Location")
            if not (request.follow_redirects and response.status in _REDIRECT_CODES and location):
                return Fetched(response, timings, PeerCertificate.from_der(hop.certificate), redirects)
            response.close()
            target = _target_url(location, base=url)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = ("HEAD" if method == "HEAD" else "GET"), None
            if target.origin() != url.origin():
                headers = {k: v for k, v in headers.items() if k.lower() not in _ORIGIN_BOUND_HEADERS}
            url = target
        raise FetchError(ErrorKind.OTHER, f"too many redirects (more than {MAX_REDIRECTS})")

    async def _hop(
        self, method: str, url: URL, headers: dict[str, str], body: str | bytes | None, *, verify: bool
    ) -> tuple[aiohttp.ClientResponse, _Hop]:
        if self._session is None:
            raise RuntimeError("HttpClient.start() was not called")
        hop = _Hop()
        token = _HOP.set(hop)
        try:
            response = await self._session.request(
                method, url, headers=headers, data=body, allow_redirects=False, ssl=verify
            )
        except aiohttp.ClientConnectorCertificateError as exc:
            raise await self._certificate_failure(exc, url) from exc
        except aiohttp.ClientConnectorError as exc:
            if hop.blocked is not None:
                raise FetchError(ErrorKind.SSRF_BLOCKED, hop.blocked) from exc
            raise
        finally:
            _HOP.reset(token)
        return response, hop

    async def _certificate_failure(
        self, exc: aiohttp.ClientConnectorCertificateError, url: URL
    ) -> FetchError:
        """Say why the certificate was refused; the certificate itself is fetched again unverified
        so the message can give its expiry ("expired 3 days ago") and the result its dates."""
        certificate = PeerCertificate.from_der(await self._unverified_certificate(url))
        message = certificate_message(exc.certificate_error, certificate, datetime.now(UTC))
        return FetchError(ErrorKind.TLS, message, certificate)

    async def _unverified_certificate(self, url: URL) -> bytes | None:
        if self._connector is None or url.host is None or url.port is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(url.host, url.port, type=socket.SOCK_STREAM)
            sock = await aiohappyeyeballs.start_connection(infos, socket_factory=self._connector.open_socket)
        except OSError:
            return None
        try:
            transport, _ = await loop.create_connection(
                asyncio.Protocol, sock=sock, ssl=_unverified_context(), server_hostname=url.host
            )
        except OSError:  # ssl.SSLError included
            sock.close()
            return None
        try:
            ssl_object = transport.get_extra_info("ssl_object")
            return ssl_object.getpeercert(binary_form=True) if ssl_object else None
        finally:
            transport.abort()


@cache
def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _target_url(text: str, base: URL | None = None) -> URL:
    """The URL to ask next (a Location resolved against ``base``), if its scheme and host are usable."""
    try:
        url = URL(text) if base is None else base.join(URL(text))
    except ValueError:
        raise FetchError(ErrorKind.OTHER, f"invalid URL: {text[:200]!r}") from None
    if url.scheme not in ALLOWED_SCHEMES:
        raise FetchError(ErrorKind.OTHER, f"unsupported URL scheme {url.scheme!r}; only http and https")
    if not url.host:
        raise FetchError(ErrorKind.OTHER, f"URL has no host: {text[:200]!r}")
    return url

"""The one outbound HTTP seam: every request a check (or anything else of ours) makes goes through here.

It owns what must hold for all of them: the SSRF guard, applied to each address right before its socket
connects (so neither DNS rebinding nor a redirect can slip past a check made earlier), a fresh
connection per request (a pooled socket hides a dead listener and makes connect/TLS timings lie),
manual redirects with a cap and an allowed-scheme list, the deadline, the timing breakdown, the peer
certificate, and turning failures into our ``error_kind`` vocabulary (worded in
``outbound/failures.py``).

It speaks HTTP/1.1 itself, over an asyncio protocol with the llhttp parser (``httptools``), instead of
through aiohttp's client: a check is one request on one fresh connection, and a general client's
sessions, connector, trace signals and header multidicts cost more than twice a bare GET's CPU
(``bench/engine.py``). Measuring the steps itself, it times DNS, connect, TLS and the first byte
exactly where they happen.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from time import perf_counter
from types import TracebackType
from typing import Any

import aiohappyeyeballs
import httptools
from cryptography import x509
from cryptography.x509.oid import NameOID
from yarl import URL

from statusping import __version__
from statusping.domain.checks import ErrorKind, Timings
from statusping.domain.targets import blocked_reason
from statusping.outbound.failures import (
    TargetBlocked,
    certificate_message,
    connection_message,
    describe_failure,
    dns_failure_message,
    timeout_message,
)

USER_AGENT = f"StatusPing/{__version__} (+uptime monitor)"
MAX_REDIRECTS = 10
ALLOWED_SCHEMES = frozenset({"http", "https"})
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Headers that must not follow a redirect to another origin (they were meant for the first one).
_ORIGIN_BOUND_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# What aiohttp asked for before us; compressed bodies are inflated before anyone reads them.
_ACCEPT_ENCODING = "gzip, deflate"
_HAPPY_EYEBALLS_DELAY = 0.25  # seconds before racing a host name's next address (aiohttp's default)
# Body bytes buffered ahead of the reader before the socket is paused (and resumed below half).
_READ_AHEAD = 256 * 1024

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SocketFactory = Callable[[aiohappyeyeballs.AddrInfoType], socket.socket]


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


# The response ---------------------------------------------------------------------------------


class Response(asyncio.Protocol):
    """One response: status line and headers as soon as they arrive, the body only if someone reads it.

    It is also the connection's asyncio protocol and the parser's callback target: one object per
    request, so a check allocates little beyond the bytes it receives.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, head_only: bool) -> None:
        self.status = 0
        self.reason = ""
        self.headers: dict[str, str] = {}  # names lower-cased; a repeated header keeps its last value
        self.headers_at = 0.0  # perf_counter when the headers were complete
        self._loop = loop
        self._head_only = head_only
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._headed: asyncio.Future[None] = loop.create_future()
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._complete = False
        self._framed = False  # the body's end is marked (length or chunks), not the connection's close
        self._error: FetchError | None = None
        self._waiter: asyncio.Future[None] | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._complete or self._error is not None:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._finish()
        except httptools.HttpParserError as exc:
            self._fail(FetchError(ErrorKind.OTHER, f"invalid HTTP response: {_parser_message(exc)}"))

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._complete or self._error is not None:
            return
        if not self._headed.done():
            if isinstance(exc, OSError):
                self._fail(FetchError(ErrorKind.CONNECTION, connection_message(exc)))
            else:
                self._fail(
                    FetchError(ErrorKind.CONNECTION, "the server closed the connection without a response")
                )
        elif self._framed:
            self._fail(FetchError(ErrorKind.CONNECTION, "the response body was cut off"))
        else:
            self._finish()  # a body without a length ends with the connection

    def pause_writing(self) -> None:  # the request is tiny; nothing to hold back
        pass

    def resume_writing(self) -> None:
        pass

    # httptools callbacks

    def on_status(self, status: bytes) -> None:
        self.reason += status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # an interim response (100 Continue): the real one follows
            self.reason, self.headers = "", {}
            return
        self.status = status
        self.headers_at = perf_counter()
        self._framed = (
            "content-length" in self.headers or "chunked" in self.headers.get("transfer-encoding", "").lower()
        )
        if not self._headed.done():
            self._headed.set_result(None)
        if self._head_only:
            self._finish()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _READ_AHEAD and not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.status:
            self._finish()

    # Reading

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of the Content-Type header, if it names one."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip("\"'") or None
        return None

    async def headers_received(self) -> None:
        await self._headed

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives, inflated if it came compressed; ends at the body's end."""
        inflate = _decompressor(self.headers.get("content-encoding", ""))
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < _READ_AHEAD // 2 and self._transport is not None:
                    self._paused = False
                    self._transport.resume_reading()
                yield inflate.decompress(chunk) if inflate else chunk
            if self._error is not None:
                raise self._error
            if self._complete:
                if inflate:
                    yield inflate.flush()
                return
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def close(self) -> None:
        if self._headed.done() and not self._headed.cancelled():
            self._headed.exception()  # seen: a failure nobody waited for is not "never retrieved"
        transport, self._transport = self._transport, None
        if transport is not None:
            # No TLS close_notify exchange: the check is done, waiting on the peer would only cost.
            transport.abort() if transport.get_extra_info("sslcontext") else transport.close()

    # Internals

    def _finish(self) -> None:
        self._complete = True
        self._wake()

    def _fail(self, error: FetchError) -> None:
        self._error = error
        if not self._headed.done():
            self._headed.set_exception(error)
        self._wake()
        if self._transport is not None:
            self._transport.abort()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def _parser_message(exc: Exception) -> str:
    text = str(exc)
    return text.split(": ", 1)[-1] if text.startswith("HPE_") else text or type(exc).__name__


class _Inflate:
    def __init__(self, wbits: int) -> None:
        self._inflate = zlib.decompressobj(wbits)

    def decompress(self, data: bytes) -> bytes:
        try:
            return self._inflate.decompress(data)
        except zlib.error as exc:
            raise FetchError(
                ErrorKind.CONNECTION, f"the response body cannot be decompressed: {exc}"
            ) from None

    def flush(self) -> bytes:
        return self._inflate.flush()


def _decompressor(encoding: str) -> _Inflate | None:
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return _Inflate(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Inflate(zlib.MAX_WBITS)  # zlib-wrapped, as the standard says
    return None


@dataclass(frozen=True, slots=True)
class Fetched:
    """The final hop's response with headers read; its body is left for the caller to read, or not."""

    response: Response
    timings: Timings
    certificate: PeerCertificate | None
    redirects: int


class Fetching:
    """``HttpClient.fetch``'s ``async with``: the deadline over every hop and the caller's block, the
    connection closed at the end, and every failure told as a ``FetchError``. A plain class rather than
    ``@asynccontextmanager``: it runs for every check, and a generator-based one costs more."""

    __slots__ = ("_deadline", "_fetched", "_follow", "_seconds")

    def __init__(self, follow: Coroutine[Any, Any, Fetched], seconds: float) -> None:
        self._follow = follow
        self._seconds = seconds
        self._deadline = asyncio.timeout(seconds)
        self._fetched: Fetched | None = None

    async def __aenter__(self) -> Fetched:
        await self._deadline.__aenter__()
        try:
            self._fetched = await self._follow
        except BaseException as exc:
            await self._end(exc)
            raise
        return self._fetched

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fetched is not None:
            self._fetched.response.close()
        await self._end(exc)

    async def _end(self, exc: BaseException | None) -> None:
        """Leave the deadline; raise the failure in our vocabulary, or return to let ``exc`` go on
        as it is (none, a ``FetchError`` already, or a cancellation that is not our deadline's)."""
        try:
            await self._deadline.__aexit__(
                type(exc) if exc else None, exc, exc.__traceback__ if exc else None
            )
        except TimeoutError as timed_out:
            raise FetchError(ErrorKind.TIMEOUT, timeout_message(self._seconds)) from timed_out
        if exc is None or isinstance(exc, FetchError) or not isinstance(exc, Exception):
            return
        if isinstance(exc, TimeoutError):
            raise FetchError(ErrorKind.TIMEOUT, timeout_message(self._seconds)) from exc
        raise FetchError(*describe_failure(exc)) from exc


# One hop --------------------------------------------------------------------------------------


class _Hop:
    """What one request learns on its way: timings, the peer certificate, an address the guard refused."""

    __slots__ = ("blocked", "certificate", "connect_ms", "dns_ms", "headers_sent", "tls_ms")

    def __init__(self) -> None:
        self.dns_ms: float | None = None
        self.connect_ms: float | None = None
        self.tls_ms: float | None = None
        self.headers_sent: float | None = None
        self.certificate: bytes | None = None
        self.blocked: str | None = None

    def timings(self, headers_received: float) -> Timings:
        ttfb = None if self.headers_sent is None else _ms(self.headers_sent, headers_received)
        return Timings(self.dns_ms, self.connect_ms, self.tls_ms, ttfb)


def _ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else perf_counter()) - start) * 1000, 2)


# The client -----------------------------------------------------------------------------------


class HttpClient:
    """The guarded client; one per process, built in the app lifespan/worker start. It holds no pool:
    every request connects afresh."""

    def __init__(
        self, policy: TargetPolicy, *, user_agent: str = USER_AGENT, source_address: str | None = None
    ) -> None:
        self.policy = policy
        self.user_agent = user_agent
        # ``statusping worker --source-address``: every outgoing socket is bound to this local
        # address (multi-homed probes; tests give each region its own loopback address).
        self.source_address = source_address
        self._source_family = _family_of(source_address)
        self._started = False

    async def start(self) -> None:
        _verified_context()  # load the trust store now, not on the first https check
        self._started = True

    async def close(self) -> None:
        self._started = False

    def socket_factory(
        self, hop: _Hop | None = None
    ) -> Callable[[aiohappyeyeballs.AddrInfoType], socket.socket]:
        """Opens each address's socket right before it is connected, refusing blocked addresses:
        resolved names and IP literals alike, every hop of a redirect chain."""
        policy = self.policy

        def open_socket(addr_info: aiohappyeyeballs.AddrInfoType) -> socket.socket:
            family, type_, proto, _, address = addr_info
            reason = policy.refusal(str(address[0]))
            if reason is not None:
                if hop is not None:
                    hop.blocked = reason
                raise TargetBlocked(reason)
            sock = socket.socket(family=family, type=type_, proto=proto)
            self.bind(sock)
            return sock

        return open_socket

    def bind(self, sock: socket.socket) -> None:
        """Bind ``sock`` to the source address, when one is set and of the socket's family (an
        IPv4 source cannot send to an IPv6 target; such a socket leaves by the default route)."""
        if self.source_address is None or sock.family != self._source_family:
            return
        try:
            sock.bind((self.source_address, 0))
        except OSError:
            sock.close()
            raise

    def fetch(self, request: HttpRequest, *, timeout_seconds: float) -> Fetching:
        """Send ``request``, following redirects if asked; any failure comes out as ``FetchError``.

        The deadline covers every hop and whatever the caller does with the body inside the block.
        """
        if not self._started:
            raise RuntimeError("HttpClient.start() was not called")
        return Fetching(self._follow(request), timeout_seconds)

    async def _follow(self, request: HttpRequest) -> Fetched:
        url = _target_url(request.url)
        method, body, headers = request.method.upper(), request.body, dict(request.headers)
        for redirects in range(MAX_REDIRECTS + 1):
            response, hop = await self._hop(method, url, headers, body, verify=request.verify_tls)
            timings = hop.timings(response.headers_at)
            location = response.headers.get("location")
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
    ) -> tuple[Response, _Hop]:
        hop = _Hop()
        host, port = url.raw_host or "", url.port or (443 if url.scheme == "https" else 80)
        message = _request_bytes(method, url, headers, body, self.user_agent)
        loop = asyncio.get_running_loop()
        infos = await _addresses(loop, host, port, hop)
        started = perf_counter()
        try:
            sock = await _connect(loop, infos, self.socket_factory(hop))
        except OSError as exc:
            if hop.blocked is not None:
                raise FetchError(ErrorKind.SSRF_BLOCKED, hop.blocked) from exc
            raise FetchError(ErrorKind.CONNECTION, connection_message(exc)) from exc
        connected = perf_counter()
        hop.connect_ms = _ms(started, connected)
        response = Response(loop, head_only=method == "HEAD")
        tls = url.scheme == "https"
        try:
            if tls:
                context = _verified_context() if verify else _unverified_context()
                try:
                    transport, _ = await loop.create_connection(
                        lambda: response, sock=sock, ssl=context, server_hostname=host
                    )
                except ssl.SSLCertVerificationError as exc:
                    raise await self._certificate_failure(exc, url) from exc
                hop.tls_ms = _ms(connected)
                ssl_object = transport.get_extra_info("ssl_object")
                hop.certificate = ssl_object.getpeercert(binary_form=True) if ssl_object else None
            else:
                transport, _ = await loop.create_connection(lambda: response, sock=sock)
        except BaseException:
            sock.close()
            raise
        try:
            transport.write(message)
            hop.headers_sent = perf_counter()
            await response.headers_received()
        except BaseException:
            response.close()
            raise
        return response, hop

    async def _certificate_failure(self, exc: ssl.SSLCertVerificationError, url: URL) -> FetchError:
        """Say why the certificate was refused; the certificate itself is fetched again unverified
        so the message can give its expiry ("expired 3 days ago") and the result its dates."""
        certificate = PeerCertificate.from_der(await self._unverified_certificate(url))
        message = certificate_message(exc, certificate, datetime.now(UTC))
        return FetchError(ErrorKind.TLS, message, certificate)

    async def _unverified_certificate(self, url: URL) -> bytes | None:
        if url.host is None or url.port is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(url.host, url.port, type=socket.SOCK_STREAM)
            sock = await aiohappyeyeballs.start_connection(infos, socket_factory=self.socket_factory())
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


def _family_of(address: str | None) -> int | None:
    if address is None:
        return None
    return socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET


async def _connect(
    loop: asyncio.AbstractEventLoop, infos: list[aiohappyeyeballs.AddrInfoType], factory: SocketFactory
) -> socket.socket:
    """A connected socket: one address directly, several raced as aiohttp did (happy eyeballs)."""
    if len(infos) > 1:
        return await aiohappyeyeballs.start_connection(
            infos, happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY, loop=loop, socket_factory=factory
        )
    sock = factory(infos[0])  # the guard: raises TargetBlocked for a refused address
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, infos[0][4])
    except BaseException:
        sock.close()
        raise
    return sock


async def _addresses(
    loop: asyncio.AbstractEventLoop, host: str, port: int, hop: _Hop
) -> list[aiohappyeyeballs.AddrInfoType]:
    """Where to connect: an IP literal as it is (no lookup, no DNS time), a name resolved and timed."""
    literal = _ip_literal(host)
    if literal is not None:
        if literal.version == 6:
            return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
    started = perf_counter()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)
    except OSError as exc:
        raise FetchError(ErrorKind.DNS, dns_failure_message(host, exc)) from exc
    hop.dns_ms = _ms(started)
    if not infos:
        raise FetchError(ErrorKind.DNS, f"name does not resolve: {host}")
    return list(infos)


@cache
def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _request_bytes(
    method: str, url: URL, headers: Mapping[str, str], body: str | bytes | None, user_agent: str
) -> bytes:
    """The request as sent: our defaults, the monitor's headers over them, and the body."""
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    if not url.is_default_port():
        host = f"{host}:{url.port}"
    fields: dict[str, tuple[str, str]] = {
        "host": ("Host", host),
        "user-agent": ("User-Agent", user_agent),
        "accept": ("Accept", "*/*"),
        "accept-encoding": ("Accept-Encoding", _ACCEPT_ENCODING),
    }
    payload = b""
    if body is not None:
        if isinstance(body, str):
            payload = body.encode()
            fields["content-type"] = ("Content-Type", "text/plain; charset=utf-8")
        else:
            payload = bytes(body)
            fields["content-type"] = ("Content-Type", "application/octet-stream")
    for name, value in headers.items():
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value or ":" in name:
            raise FetchError(ErrorKind.OTHER, f"invalid header {name[:100]!r}")
        fields[name.lower()] = (name, value)
    # Our framing, whatever the monitor's headers say: one request, then the connection closes.
    fields["connection"] = ("Connection", "close")
    fields.pop("transfer-encoding", None)
    if payload or method in ("POST", "PUT", "PATCH"):
        fields["content-length"] = ("Content-Length", str(len(payload)))
    else:
        fields.pop("content-length", None)
    lines = [f"{method} {url.raw_path_qs or '/'} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in fields.values()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@cache
def _verified_context() -> ssl.SSLContext:
    return ssl.create_default_context()


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

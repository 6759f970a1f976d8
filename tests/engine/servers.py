"""Real local targets for the engine tests: an HTTP(S) app, a listener that never answers, a closed
port, a listener whose queue is full, a DNS server, and certificates made at test time.

Everything binds to loopback on a free port and is closed by its context manager, because the suite
runs with warnings as errors (an unclosed socket fails the test that leaked it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from aiohttp import web
from aiohttp.typedefs import Handler
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

WELCOME = "Welcome to the test target"
BIG_BODY_BYTES = 50 * 1024 * 1024
_CHUNK = 64 * 1024


# HTTP -----------------------------------------------------------------------------------------


@dataclass
class WebTarget:
    base_url: str
    port: int
    paths: list[str] = field(default_factory=list)  # every request, in order
    peers: list[tuple[str, int]] = field(default_factory=list)  # client address of every request
    big_bytes_sent: int = 0

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}{path}"


def _app(target: WebTarget) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        target.paths.append(request.path_qs)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            target.peers.append((peer[0], peer[1]))
        return await handler(request)

    @routes.get("/")
    async def healthy(_: web.Request) -> web.Response:
        return web.Response(text=WELCOME)

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status page")

    @routes.get("/json")
    async def json_doc(_: web.Request) -> web.Response:
        return web.json_response({"status": "up", "checks": {"db": "ok"}, "items": [{"latency": 12}]})

    @routes.route("*", "/echo")
    async def echo(request: web.Request) -> web.Response:
        body = await request.text()
        token, agent = request.headers.get("X-Token", ""), request.headers.get("User-Agent", "")
        return web.Response(text=f"{request.method}|{token}|{body}|{agent}")

    @routes.get("/loop")
    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    @routes.get("/chain/{n}")
    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n > 0:
            raise web.HTTPFound(str(n - 1))  # relative: resolved against /chain/<n>
        return web.Response(text="Welcome at the end of the chain")

    @routes.post("/see-other")
    async def see_other(_: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/echo")

    @routes.get("/redirect")
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    @routes.get("/big")
    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.content_length = BIG_BODY_BYTES
        await response.prepare(request)
        first = b"Welcome" + b"x" * (_CHUNK - 7)
        for index in range(BIG_BODY_BYTES // _CHUNK):
            await response.write(first if index == 0 else b"x" * _CHUNK)
            target.big_bytes_sent += _CHUNK
        return response

    @routes.get("/dribble")
    async def dribble(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        for _ in range(60):
            await response.write(b".")
            await asyncio.sleep(1)
        return response

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    return app


@asynccontextmanager
async def web_target(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> AsyncIterator[WebTarget]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    target = WebTarget(base_url=f"{'https' if tls else 'http'}://{host}:{port}", port=port)
    # handler_cancellation: a handler whose client hung up (the 50 MB and dribbling bodies) stops now.
    runner = web.AppRunner(_app(target), handler_cancellation=True, shutdown_timeout=0.5, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock, ssl_context=tls).start()
        yield target
    finally:
        await runner.cleanup()
        sock.close()


# Raw TCP --------------------------------------------------------------------------------------


class _Silent(asyncio.Protocol):
    def __init__(self, transports: set[asyncio.Transport]) -> None:
        self.transports = transports

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transports.add(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transports.discard(self.transport)


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never sends a byte: the hung target."""
    transports: set[asyncio.Transport] = set()
    server = await asyncio.get_running_loop().create_server(lambda: _Silent(transports), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for transport in list(transports):
            transport.abort()
        await server.wait_closed()


def closed_port() -> int:
    """A port nothing listens on (bound once to get a free number, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def full_backlog_port() -> Iterator[int]:
    """A listener that never accepts, its queue already full: new connects get no SYN-ACK and hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(2):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# TLS ------------------------------------------------------------------------------------------

CA_NAME = "StatusPing Test CA"
SELF_SIGNED_NAME = "Self Signed Test Org"


@dataclass(frozen=True)
class Leaf:
    cert_path: Path
    key_path: Path
    certificate: x509.Certificate

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


@dataclass(frozen=True)
class Certificates:
    ca_signed: Leaf  # valid, but the CA is not in the default trust store
    expired: Leaf  # CA-signed, expired three days (and an hour) ago
    self_signed: Leaf


def _name(organization: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, organization)])  # fmt: skip


def _build(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey, valid: tuple[dt.datetime, dt.datetime], *, ca: bool,
) -> x509.Certificate:  # fmt: skip
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


def make_certificates(directory: Path) -> Certificates:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    day = dt.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(CA_NAME)

    def leaf(label: str, organization: str, valid: tuple[dt.datetime, dt.datetime], signed: bool) -> Leaf:
        key = ec.generate_private_key(ec.SECP256R1())
        issuer, signer = (ca_name, ca_key) if signed else (_name(organization), key)
        cert = _build(_name(organization), issuer, key, signer, valid, ca=False)
        cert_path, key_path = directory / f"{label}.pem", directory / f"{label}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return Leaf(cert_path, key_path, cert)

    return Certificates(
        ca_signed=leaf("ca-signed", "Test Target Org", (now - day, now + 30 * day), signed=True),
        expired=leaf("expired", "Test Target Org", (now - 30 * day, now - 3 * day - day / 24), signed=True),
        self_signed=leaf("self-signed", SELF_SIGNED_NAME, (now - day, now + 30 * day), signed=False),
    )


# DNS ------------------------------------------------------------------------------------------

ZONE: dict[tuple[str, str], list[str]] = {
    ("www.example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("www.example.test.", "AAAA"): ["2001:db8::10"],
    ("alias.example.test.", "CNAME"): ["www.example.test."],
    ("example.test.", "MX"): ["10 mail.example.test."],
    ("example.test.", "TXT"): ['"v=spf1 -all"'],
    ("example.test.", "NS"): ["ns1.example.test."],
}


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, answer: bool, queries: list[str]) -> None:
        self.answer, self.queries = answer, queries
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name, rdtype = question.name.to_text(), dns.rdatatype.to_text(question.rdtype)
        self.queries.append(f"{name} {rdtype}")
        if not self.answer or self.transport is None:
            return
        response = dns.message.make_response(query)
        records = ZONE.get((name, rdtype))
        if records:
            response.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", rdtype, records))
        elif not any(zone_name == name for zone_name, _ in ZONE):
            response.set_rcode(dns.rcode.NXDOMAIN)
        self.transport.sendto(response.to_wire(), addr)


@dataclass
class DnsServer:
    address: str  # "127.0.0.1:<port>", as a monitor's nameserver field holds it
    queries: list[str]


@asynccontextmanager
async def dns_server(*, answer: bool = True) -> AsyncIterator[DnsServer]:
    """Serves ZONE over UDP (NXDOMAIN for other names); with ``answer=False`` it swallows queries."""
    queries: list[str] = []
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _DnsProtocol(answer, queries), local_addr=("127.0.0.1", 0)
    )
    try:
        yield DnsServer(f"127.0.0.1:{transport.get_extra_info('sockname')[1]}", queries)
    finally:
        transport.close()

"""Naming what went wrong: client exceptions mapped onto one ``error_kind`` and a message a person
can act on ("connection refused", "TLS certificate expired 3 days ago")."""

from __future__ import annotations

import errno
import socket
import ssl
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiohttp

from statusping.domain.checks import ErrorKind

if TYPE_CHECKING:
    from statusping.outbound.http import PeerCertificate

_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class TargetBlocked(OSError):
    """Raised instead of opening a socket; an OSError so the connect machinery treats it as a failed try."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EACCES, reason)
        self.reason = reason


def timeout_message(seconds: float) -> str:
    return f"timed out after {seconds:g} s"


def dns_failure_message(host: str, error: OSError) -> str:
    if isinstance(error, socket.gaierror) and error.errno in _NO_SUCH_NAME:
        return f"name does not resolve: {host}"
    return f"DNS lookup failed for {host}: {error.strerror or error}"


def connection_message(error: OSError) -> str:
    known = {
        errno.ECONNREFUSED: "connection refused",
        errno.ECONNRESET: "connection reset by the server",
        errno.EHOSTUNREACH: "host unreachable",
        errno.ENETUNREACH: "network unreachable",
        errno.ETIMEDOUT: "connection timed out",
    }
    return known.get(error.errno or 0) or (error.strerror or str(error) or type(error).__name__).lower()


def certificate_message(error: Exception, certificate: PeerCertificate | None, now: datetime) -> str:
    if certificate is not None and certificate.expires_at < now:
        days = (now - certificate.expires_at).days
        ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
        return f"TLS certificate expired {ago}"
    code = getattr(error, "verify_code", None)
    reason = getattr(error, "verify_message", None) or str(error)
    if code == 18:  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        return "self-signed certificate"
    if code == 19:  # X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
        return "self-signed certificate in the chain"
    if code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
        return f"certificate does not match the host: {reason}"
    return f"certificate is not trusted: {reason}"


def describe_failure(exc: BaseException) -> tuple[ErrorKind, str]:
    """Map a client exception onto one ``error_kind`` and a message a person can act on."""
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT, "timed out"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ErrorKind.DNS, dns_failure_message(exc.host, exc.os_error)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return ErrorKind.TLS, certificate_message(exc.certificate_error, None, datetime.now(UTC))
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        reason = getattr(getattr(exc, "os_error", exc), "reason", None) or str(exc)
        return ErrorKind.TLS, f"TLS handshake failed: {reason.replace('_', ' ').lower()}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, TargetBlocked):
            return ErrorKind.SSRF_BLOCKED, exc.os_error.reason
        return ErrorKind.CONNECTION, connection_message(exc.os_error)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ErrorKind.CONNECTION, "the server closed the connection without a response"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ErrorKind.CONNECTION, "the response body was cut off"
    if isinstance(exc, aiohttp.ClientResponseError):
        return ErrorKind.OTHER, f"invalid HTTP response: {exc.message}"
    if isinstance(exc, aiohttp.InvalidURL):
        return ErrorKind.OTHER, f"invalid URL: {exc}"
    if isinstance(exc, OSError):
        return ErrorKind.CONNECTION, connection_message(exc)
    if isinstance(exc, aiohttp.ClientError):
        return ErrorKind.CONNECTION, str(exc) or type(exc).__name__
    return ErrorKind.OTHER, f"unexpected error: {type(exc).__name__}: {exc}"[:300]

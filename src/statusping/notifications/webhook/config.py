"""Webhook config: ``{"url": "https://…", "secret": "…", "headers": {"X-Team": "ops"}}``.

The URL is checked when saved (scheme, host, and in saas mode no private address literal); names
that resolve to private addresses are refused again at connect time by the SSRF guard.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import check_host_allowed
from statusping.domain.targets import literal_ip

MAX_URL_LENGTH = 2048
MAX_HEADERS = 20
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_\-]{0,61}[A-Za-z0-9])?\.?)+$")
# Set by us on every request; a custom value would break the body or the signature.
RESERVED_HEADERS = frozenset(
    {"host", "content-length", "content-type", "x-statusping-signature", "x-statusping-event"}
)


def validate(config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    for key in config:
        if key not in {"url", "secret", "headers"}:
            raise InvalidInput(f"config.{key} is not a setting of this channel", field=f"config.{key}")
    url = check_url(config.get("url"), allow_private=allow_private)
    secret = config.get("secret")
    if secret is not None and (not isinstance(secret, str) or not 1 <= len(secret) <= 200):
        raise InvalidInput("config.secret must be text of 1 to 200 characters", field="config.secret")
    return {"url": url, "secret": secret or None, "headers": _headers(config.get("headers") or {})}


def check_url(value: Any, *, allow_private: bool) -> str:
    url = str(value or "").strip()
    if not url:
        raise InvalidInput("config.url is required", field="config.url")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"config.url must be at most {MAX_URL_LENGTH} characters", field="config.url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise InvalidInput("config.url must start with http:// or https://", field="config.url")
    try:
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise InvalidInput("config.url has an invalid port", field="config.url") from None
    if not host or not (literal_ip(host) or _HOSTNAME.match(host)):
        raise InvalidInput("config.url must name a valid host", field="config.url")
    if parts.username or parts.password:
        raise InvalidInput("config.url must not carry credentials; use config.headers", field="config.url")
    check_host_allowed(host, allow_private=allow_private, field="config.url")
    return url


def _headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict):
        raise InvalidInput("config.headers must be an object of name: value", field="config.headers")
    if len(headers) > MAX_HEADERS:
        raise InvalidInput(f"config.headers takes at most {MAX_HEADERS} headers", field="config.headers")
    clean: dict[str, str] = {}
    for name, value in headers.items():
        if not _HEADER_NAME.match(str(name)) or str(name).lower() in RESERVED_HEADERS:
            raise InvalidInput(f"config.headers: {name!r} cannot be set", field="config.headers")
        text = str(value)
        if "\r" in text or "\n" in text or len(text) > 4096:
            raise InvalidInput(f"config.headers: the value of {name} is invalid", field="config.headers")
        clean[str(name)] = text
    return clean


def mask(value: str) -> str:
    """Enough to recognise a secret, never enough to use it."""
    return "****" + value[-4:] if len(value) >= 12 else "****"


def public(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": mask_url(config["url"]),
        "secret": mask(config["secret"]) if config.get("secret") else None,
        "headers": {name: mask(value) for name, value in (config.get("headers") or {}).items()},
    }


def mask_url(url: str) -> str:
    """Query values often carry tokens (``?token=…``): show their names only."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = urlencode([(k, mask(v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit(parts._replace(query=query))

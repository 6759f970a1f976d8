"""Secrets in answers: how they are masked, and how a masked value sent back keeps the secret.

Every API answer shows a stored secret masked (monitor header values, a URL's password, webhook
secrets, header values and URL tokens, Apprise URLs). A client that edits something else and sends
back what it read must not destroy the secret, so on update a value equal to what was shown keeps
the stored one. A value that still carries the mask but differs from what was shown is refused:
saved as typed, it would silently break the check or the alert.

The mask is ``****``, followed by a secret's last four characters when it is long enough that four
characters say which key it is without helping to guess it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from statusping.domain.errors import InvalidInput

MASK = "****"
# Shorter secrets are shown as the bare mask: four characters of a short secret are too much of it.
HINT_MIN_LENGTH = 16
HINT_LENGTH = 4


def mask_secret(value: str) -> str:
    """``****`` plus the last four characters of a long secret: enough to recognise it, no more."""
    return MASK + value[-HINT_LENGTH:] if len(value) >= HINT_MIN_LENGTH else MASK


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names stay readable; every value may be a credential (Authorization, X-Api-Key…)."""
    return {name: mask_secret(str(value)) for name, value in headers.items()}


def _netloc(parts: SplitResult, *, keep_password: bool) -> str:
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal lost its brackets in hostname
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username is None:
        return host
    if parts.password is None:
        return f"{parts.username}@{host}"
    return f"{parts.username}:{parts.password if keep_password else MASK}@{host}"


def mask_url_password(url: str) -> str:
    """Only the password of ``https://user:password@host/…`` masked; the rest is shown."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        return urlunsplit(parts._replace(netloc=_netloc(parts, keep_password=False)))
    except ValueError:
        return url


def mask_url(url: str) -> str:
    """A URL whose path and query may carry tokens (chat webhooks put them in the path:
    ``https://hooks.slack.com/services/T…/B…/X…``): scheme, host, port and user name stay, the
    password, every path segment and every query value are masked."""
    try:
        parts = urlsplit(url)
        netloc = _netloc(parts, keep_password=False)
    except ValueError:
        return opaque_mask(url)
    path = "/".join(MASK if segment else "" for segment in parts.path.split("/"))
    query = urlencode([(k, MASK) for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def opaque_mask(url: str) -> str:
    """Only the scheme of a URL that may carry tokens anywhere, as Apprise URLs do
    (``slack://TokenA/TokenB/TokenC``, ``tgram://bottoken/chat``, ``ntfy://secret-topic``)."""
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://{MASK}" if sep and scheme.isascii() and scheme.isalnum() else MASK


# The monitor settings that are masked in answers.
MONITOR_SECRET_FIELDS = frozenset({"headers", "url"})


def mask_monitor_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A monitor's type-specific settings as the API shows them."""
    shown = dict(config)
    if isinstance(shown.get("headers"), Mapping):
        shown["headers"] = mask_headers(shown["headers"])
    if isinstance(shown.get("url"), str):
        shown["url"] = mask_url_password(shown["url"])
    return shown


def _carries_mask(value: Any) -> bool:
    if isinstance(value, str):
        return MASK in value
    if isinstance(value, Mapping):
        return any(_carries_mask(v) for v in value.values())
    return False


def merge_masked(
    stored: Mapping[str, Any] | None,
    shown: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    secret_fields: Collection[str],
    field_prefix: str = "",
) -> dict[str, Any]:
    """``changes`` with every value that equals what the API showed replaced by the stored secret.

    One level of nesting is followed (header maps): a header sent back as shown keeps its stored
    value, a header with a new value replaces it. Raises ``InvalidInput`` for a value of one of the
    ``secret_fields`` (the masked ones) that still carries the mask but is not what was shown (a
    partly edited masked URL, a header copied from another monitor): nothing could be restored.
    """
    old = stored or {}
    merged: dict[str, Any] = {}
    for key, value in changes.items():
        field = f"{field_prefix}{key}"
        secret = key in secret_fields
        if secret and isinstance(value, Mapping):
            inner_old = old.get(key)
            inner_shown = shown.get(key)
            inner_old = inner_old if isinstance(inner_old, Mapping) else {}
            inner_shown = inner_shown if isinstance(inner_shown, Mapping) else {}
            merged[key] = merge_masked(
                inner_old, inner_shown, value, secret_fields=set(value), field_prefix=f"{field}."
            )
        elif key in old and value == shown.get(key):
            merged[key] = old[key]
        elif secret and _carries_mask(value):
            raise InvalidInput(
                f"{field} still contains the mask {MASK}: send the full value, or send back exactly "
                "what was shown to keep the stored one",
                field=field,
            )
        else:
            merged[key] = value
    return merged

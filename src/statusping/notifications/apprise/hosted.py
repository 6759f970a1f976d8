"""Which Apprise services a hosted (saas) install lets a customer use, and the connect-time guard.

Apprise sends through its own HTTP stack (``requests``), not our guarded client, and most of its
services take a host from the URL (``json://``, ``ntfy://host/…``, ``mailto://…?smtp=…``): in saas
mode that would let a customer make our servers connect to loopback, the private ranges or the
metadata service, and read the answer's timing as a port scanner. So in saas mode only services
whose plugin posts to an address written in the plugin itself are allowed. Each entry below was
checked against the Apprise source (2.x): the URL the plugin's ``send()`` posts to is a class
constant (a region picks between constants), and nothing in the Apprise URL can replace it.

Two services take a host but only a vendor's: ntfy (its cloud mode, or the host ``ntfy.sh`` itself)
and Microsoft Teams through Workflows (hosts under Microsoft's own domains).

As a second line, every connection Apprise opens while sending for a saas install goes through
``guarded()``: each resolved address is checked with the same ``TargetPolicy`` as monitors and
webhooks right before the socket connects (a redirect or a DNS answer cannot slip past it).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import urllib3.util.connection as urllib3_connection
from apprise.plugins.base import NotifyBase
from apprise.plugins.discord import NotifyDiscord
from apprise.plugins.google_chat import NotifyGoogleChat
from apprise.plugins.ntfy import NotifyNtfy, NtfyMode
from apprise.plugins.opsgenie import NotifyOpsgenie
from apprise.plugins.pagerduty import NotifyPagerDuty
from apprise.plugins.pushbullet import NotifyPushBullet
from apprise.plugins.pushover import NotifyPushover
from apprise.plugins.slack import NotifySlack
from apprise.plugins.telegram import NotifyTelegram
from apprise.plugins.workflows import NotifyWorkflows

from statusping.outbound.http import TargetPolicy

# Plugin class → (the schema a user writes, the service's name). The hosts each posts to:
# Slack hooks.slack.com / hooks.slack-gov.com / slack.com; Discord discord.com; Telegram
# api.telegram.org; PagerDuty events(.eu).pagerduty.com; Opsgenie api(.eu).opsgenie.com; Pushover
# api.pushover.net; Google Chat chat.googleapis.com; Pushbullet api.pushbullet.com.
FIXED_HOST: dict[type[NotifyBase], tuple[str, str]] = {
    NotifySlack: ("slack", "Slack"),
    NotifyDiscord: ("discord", "Discord"),
    NotifyTelegram: ("tgram", "Telegram"),
    NotifyPagerDuty: ("pagerduty", "PagerDuty"),
    NotifyOpsgenie: ("opsgenie", "Opsgenie"),
    NotifyPushover: ("pover", "Pushover"),
    NotifyGoogleChat: ("gchat", "Google Chat"),
    NotifyPushBullet: ("pbul", "Pushbullet"),
}
NTFY_HOST = "ntfy.sh"
# Microsoft's Logic Apps / Power Platform domains: subdomains are Microsoft's to resolve.
WORKFLOW_HOST_SUFFIXES = (".logic.azure.com", ".powerplatform.com")
ALLOWED_SCHEMAS = (*(schema for schema, _ in FIXED_HOST.values()), "ntfy", "workflows")


def refusal(plugin: NotifyBase) -> str | None:
    """Why a hosted install must not send through ``plugin``, or ``None`` when it may."""
    kind = type(plugin)
    if kind in FIXED_HOST:
        return None
    if kind is NotifyNtfy:
        return _ntfy_refusal(plugin)
    if kind is NotifyWorkflows:
        return _workflows_refusal(plugin)
    name = str(getattr(plugin, "service_name", kind.__name__))
    return (
        f"{name} sends to an address taken from the URL, which this hosted service does not "
        f"allow; Apprise URLs may use {', '.join(s + '://' for s in ALLOWED_SCHEMAS)} "
        "(for your own server, use a webhook channel)"
    )


def _host_of(plugin: NotifyBase) -> str:
    return str(getattr(plugin, "host", None) or "").lower().rstrip(".")


def _ntfy_refusal(plugin: NotifyBase) -> str | None:
    if getattr(plugin, "mode", None) == NtfyMode.CLOUD:
        return None
    if _host_of(plugin) == NTFY_HOST and getattr(plugin, "port", None) is None:
        return None
    return f"ntfy may only use {NTFY_HOST} here (ntfy://topic); a server of your own needs a webhook channel"


def _workflows_refusal(plugin: NotifyBase) -> str | None:
    host = _host_of(plugin)
    if host.endswith(WORKFLOW_HOST_SUFFIXES) and getattr(plugin, "port", None) in (None, 443):
        return None
    return "Workflows URLs must point at a Microsoft host (…logic.azure.com or …powerplatform.com)"


# The connect-time guard ------------------------------------------------------------------------


@dataclass
class Guard:
    policy: TargetPolicy
    blocked: str | None = None


# Set around a send; asyncio.to_thread copies the context, so Apprise's thread sees it.
_GUARD: ContextVar[Guard | None] = ContextVar("statusping_apprise_guard", default=None)
_unguarded_create_connection = urllib3_connection.create_connection


class ConnectionRefusedByPolicy(OSError):
    pass


def _create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
    """urllib3's ``create_connection``, checking every resolved address first when a guard is set.

    It connects to the checked address itself (not the name again), so a second DNS answer cannot
    differ from the one that was checked. TLS still verifies the name: urllib3 wraps the socket
    with the original host as server name.
    """
    guard = _GUARD.get()
    if guard is None or guard.policy.allow_private:
        return _unguarded_create_connection(address, *args, **kwargs)
    host, port = address
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    error: OSError | None = None
    for *_, sockaddr in infos:
        ip = str(sockaddr[0])
        reason = guard.policy.refusal(ip)
        if reason is not None:
            guard.blocked = reason
            raise ConnectionRefusedByPolicy(reason)
    for *_, sockaddr in infos:
        try:
            return _unguarded_create_connection((str(sockaddr[0]), port), *args, **kwargs)
        except OSError as exc:
            error = exc
    raise error or OSError(f"could not resolve {host}")


urllib3_connection.create_connection = _create_connection


@contextmanager
def guarded(policy: TargetPolicy) -> Iterator[Guard]:
    """While inside, Apprise's HTTP connections (in this context) obey ``policy``."""
    guard = Guard(policy)
    token = _GUARD.set(guard)
    try:
        yield guard
    finally:
        _GUARD.reset(token)

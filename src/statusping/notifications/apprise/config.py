"""Apprise config: ``{"url": "slack://…"}`` (any Apprise notification URL).

The URL is parsed by Apprise itself when saved, so a typo is a 422 now rather than a failed alert
during an outage. Apprise URLs embed their tokens, so the API only ever shows Apprise's own
privacy rendering of them.
"""

from __future__ import annotations

from typing import Any

from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import check_host_allowed
from statusping.notifications.apprise.library import apprise

MAX_URL_LENGTH = 2048
# Services that act on the host StatusPing runs on, not on a remote service: no use in saas mode.
LOCAL_SCHEMES = frozenset({"syslog", "dbus", "kde", "qt", "glib", "gnome", "macosx", "windows"})


def validate(config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    for key in config:
        if key != "url":
            raise InvalidInput(f"config.{key} is not a setting of this channel", field=f"config.{key}")
    url = str(config.get("url") or "").strip()
    if not url:
        raise InvalidInput("config.url is required", field="config.url")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"config.url must be at most {MAX_URL_LENGTH} characters", field="config.url")
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise InvalidInput(
            "config.url is not a valid Apprise URL (see https://github.com/caronc/apprise/wiki)",
            field="config.url",
        )
    if not allow_private:
        scheme = url.split("://", 1)[0].lower()
        if scheme in LOCAL_SCHEMES:
            raise InvalidInput(f"config.url: {scheme}:// notifies this server, not you", field="config.url")
        host = getattr(plugin, "host", None)
        if isinstance(host, str) and host:
            check_host_allowed(host, allow_private=False, field="config.url")
    return {"url": url}


def mask_url(url: str) -> str:
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:  # stored before a library upgrade stopped understanding it: show nothing
        return url.split("://", 1)[0] + "://****"
    return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]


def public(config: dict[str, Any]) -> dict[str, Any]:
    return {"url": mask_url(config["url"])}

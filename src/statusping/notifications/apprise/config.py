"""Apprise config: ``{"url": "slack://…"}`` (any Apprise notification URL).

The URL is parsed by Apprise itself when saved, so a typo is a 422 now rather than a failed alert
during an outage. Apprise URLs embed their tokens, so the API only ever shows Apprise's own
privacy rendering of them.
"""

from __future__ import annotations

from typing import Any

from statusping.domain.errors import InvalidInput
from statusping.domain.secrets import opaque_mask
from statusping.notifications.apprise import hosted
from statusping.notifications.apprise.library import apprise

MAX_URL_LENGTH = 2048


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
        # Hosted: only services whose address is fixed by the plugin (see hosted.py); a host
        # taken from the URL (numeric forms, names, smtp= overrides) is never connected to.
        reason = hosted.refusal(plugin)
        if reason is not None:
            raise InvalidInput(f"config.url: {reason}", field="config.url")
    return {"url": url}


def mask_url(url: str) -> str:
    # Not Apprise's own privacy rendering: it keeps path tokens (an ntfy topic, a JSON endpoint's
    # path) and the first and last character of the others. Only the service is shown.
    return opaque_mask(url)


def public(config: dict[str, Any]) -> dict[str, Any]:
    return {"url": mask_url(config["url"])}

"""Building the one message every channel sends for an event: subject, lines, link, webhook body.

Built once by the dispatcher from the event's stored payload, so channels stay small and all say
the same thing (the email subject is the Apprise title is the webhook's ``subject``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TEST_EVENT = "test"
_TAGS = {
    "down": "DOWN",
    "up": "UP",
    "reminder": "STILL DOWN",
    "tls_expiring": "TLS",
    "flapping": "FLAPPING",
    "degraded": "DEGRADED",
    "degraded_cleared": "FAST AGAIN",
    "test": "TEST",
}
# Apprise notify types, for the icon and colour chat services show.
_SEVERITY = {
    "down": "failure",
    "reminder": "failure",
    "up": "success",
    "tls_expiring": "warning",
    "degraded": "warning",
    "degraded_cleared": "success",
}


@dataclass(frozen=True, slots=True)
class AlertMessage:
    event: str
    subject: str
    headline: str
    details: tuple[tuple[str, str], ...]  # (label, value) lines: cause, started, down for…
    link: str
    severity: str  # failure | success | warning | info
    body: dict[str, Any]  # the webhook payload (docs/webhooks.md)

    @property
    def text(self) -> str:
        lines = [self.headline, ""]
        lines += [f"{label}: {value}" for label, value in self.details]
        return "\n".join([*lines, "", self.link])


def build_message(
    kind: str, payload: dict[str, Any], base_url: str, *, status_now: str | None = None
) -> AlertMessage:
    body = copy.deepcopy(payload)
    monitor = body.get("monitor") or {}
    link = f"{base_url}/monitors/{monitor['id']}" if monitor.get("id") else f"{base_url}/dashboard"
    if monitor:
        monitor["url"] = link
    if kind == "flapping" and status_now is not None:
        body["status"] = status_now  # the summary goes out at the window's end: say how it is now
    name = monitor.get("name") or "StatusPing"
    summary, headline = _describe(kind, body, name)
    body["subject"] = subject = f"[{_TAGS.get(kind, kind.upper())}] {name} — {summary}"
    return AlertMessage(
        event=kind,
        subject=subject,
        headline=headline,
        details=tuple(_details(kind, body)),
        link=link,
        severity=_SEVERITY.get(kind, "info"),
        body=body,
    )


def _describe(kind: str, body: dict[str, Any], name: str) -> tuple[str, str]:
    missed = body.get("error_kind") == "heartbeat_missed"
    if kind == "down":
        if missed:
            return "heartbeat missed", f"{name} missed its heartbeat: {body.get('cause') or 'no ping'}."
        reason = body.get("reason") or body.get("cause") or "check failed"
        return _short(reason), f"{name} is down: {body.get('cause') or reason}."
    if kind == "up":
        took = format_duration(body.get("downtime_seconds"))
        return f"back up after {took}", f"{name} is up again after {took} of downtime."
    if kind == "reminder":
        took = format_duration(_elapsed(body.get("started_at"), body.get("occurred_at")))
        return f"still down after {took}", f"{name} is still down ({took} so far)."
    if kind == "tls_expiring":
        left = int((body.get("certificate") or {}).get("days_left") or 0)
        when = "has expired" if left < 0 else "expires today" if left == 0 else f"expires in {_days(left)}"
        return f"TLS certificate {when}", f"The TLS certificate of {name} {when}."
    if kind in ("degraded", "degraded_cleared"):
        return _describe_latency(kind, body, name)
    if kind == "flapping":
        held = int((body.get("flapping") or {}).get("held_back") or 0)
        now = body.get("status") or "unknown"
        return (
            f"flapping, {held} alert(s) held back; now {now}",
            f"{name} changed state too often: {held} alert(s) were held back this hour. It is now {now}.",
        )
    if kind == TEST_EVENT:
        return "test message", "This is a test message: your alert channel works."
    return kind, f"{name}: {kind}"


def _describe_latency(kind: str, body: dict[str, Any], name: str) -> tuple[str, str]:
    latency = body.get("degraded") or {}
    limit = latency.get("threshold_ms")
    took = latency.get("response_ms")
    took_text = f"{round(took)} ms" if isinstance(took, int | float) else "unknown"
    if kind == "degraded":
        return (
            f"slow, {took_text} (limit {limit} ms)",
            f"{name} is degraded: its checks take longer than {limit} ms (last one {took_text}).",
        )
    return (
        f"fast again, {took_text}",
        f"{name} is no longer degraded: its checks are back under {limit} ms (last one {took_text}).",
    )


def _details(kind: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    monitor = body.get("monitor") or {}
    if monitor.get("target"):
        lines.append(("Target", str(monitor["target"])))
    if body.get("cause") and kind in ("down", "reminder", "up"):
        lines.append(("Cause" if kind != "up" else "Last error", str(body["cause"])))
    if body.get("started_at") and kind in ("down", "reminder", "up"):
        lines.append(("Started", format_time(body["started_at"])))
    if kind == "up":
        lines.append(("Downtime", format_duration(body.get("downtime_seconds"))))
        lines.append(("Recovered", format_time(body.get("occurred_at"))))
    if body.get("regions"):
        lines.append(("Regions", regions_line(body["regions"])))
    certificate = body.get("certificate") or {}
    if certificate:
        lines.append(("Certificate expires", format_time(certificate.get("expires_at"))))
        if certificate.get("issuer"):
            lines.append(("Issuer", str(certificate["issuer"])))
    return lines


def regions_line(regions: list[dict[str, Any]]) -> str:
    """What each region saw: ``eu: connection refused · us: connection refused · asia: up``."""
    return " · ".join(
        f"{r.get('region')}: {'up' if r.get('ok') else r.get('error') or 'failing'}" for r in regions
    )


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "an unknown time"
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_time(value: str | None) -> str:
    if not value:
        return "unknown"
    moment = _parse(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else value


def _elapsed(start: str | None, end: str | None) -> float | None:
    a, b = _parse(start), _parse(end)
    return (b - a).total_seconds() if a and b else None


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

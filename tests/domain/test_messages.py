"""The message every channel sends: subjects and lines per event."""

from __future__ import annotations

from statusping.domain.messages import build_message, format_duration
from tests.notifications.test_channels import DOWN_PAYLOAD


def test_durations_read_like_a_person_would_say_them() -> None:
    assert [format_duration(s) for s in (42, 754, 3600, 3900, 90000, None)] == [
        "42 s", "12 min", "1 h", "1 h 5 min", "1 d 1 h", "an unknown time",
    ]  # fmt: skip


def test_a_missed_heartbeat_says_so() -> None:
    payload = {
        **DOWN_PAYLOAD,
        "monitor": {"id": "1", "name": "Nightly backup", "type": "heartbeat", "target": "heartbeat"},
        "cause": "no ping within 3660 s (interval 3600 s + grace 60 s)",
        "reason": "no ping within 3660 s (interval 3600 s + grace 60 s)",
        "error_kind": "heartbeat_missed",
    }
    message = build_message("down", payload, "http://x")
    assert message.subject == "[DOWN] Nightly backup — heartbeat missed"
    assert "missed its heartbeat: no ping within 3660 s" in message.text


def test_tls_reminder_flapping_and_test_messages_have_their_own_subjects() -> None:
    tls = {
        **DOWN_PAYLOAD,
        "event": "tls_expiring",
        "certificate": {"expires_at": "2026-03-15T00:00:00Z", "days_left": 13, "issuer": "R3"},
    }
    assert (
        build_message("tls_expiring", tls, "http://x").subject
        == "[TLS] Checkout API — TLS certificate expires in 13 days"
    )
    reminder = {**DOWN_PAYLOAD, "event": "reminder", "occurred_at": "2026-03-01T13:00:00Z"}
    assert (
        build_message("reminder", reminder, "http://x").subject
        == "[STILL DOWN] Checkout API — still down after 1 h"
    )
    flapping = {**DOWN_PAYLOAD, "event": "flapping", "flapping": {"held_back": 9}}
    message = build_message("flapping", flapping, "http://x", status_now="up")
    assert message.subject == "[FLAPPING] Checkout API — flapping, 9 alert(s) held back; now up"
    assert message.body["status"] == "up"
    test = build_message("test", {"version": 1, "event": "test", "monitor": None}, "http://x")
    assert test.subject == "[TEST] StatusPing — test message"
    assert test.link == "http://x/dashboard"

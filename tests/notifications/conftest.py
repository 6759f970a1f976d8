from __future__ import annotations

import pytest

from tests.alerting import receiver
from tests.support import SmtpSink

__all__ = ["receiver"]


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    # Self-hosted: webhooks may reach the local receiver. SMTP goes to the test's own server.
    return {
        "mode": "selfhosted",
        "min_interval_seconds": 1,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_sink.port,
        "smtp_starttls": False,
    }

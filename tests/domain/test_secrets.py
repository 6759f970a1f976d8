"""Masking secrets in answers, and keeping them when a client sends back what it was shown."""

from __future__ import annotations

import pytest

from statusping.domain.errors import InvalidInput
from statusping.domain.secrets import (
    MONITOR_SECRET_FIELDS,
    mask_monitor_config,
    mask_secret,
    mask_url,
    mask_url_password,
    merge_masked,
    opaque_mask,
)


def test_a_long_secret_keeps_only_a_four_character_hint_and_a_short_one_nothing() -> None:
    assert mask_secret("Bearer tok-0123456789abcdef") == "****cdef"
    assert mask_secret("hunter2-hunter2") == "****"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://hooks.slack.com/services/T0001/B0002/XXXXSECRETXXXX",
            "https://hooks.slack.com/****/****/****/****",
        ),
        ("https://discord.com/api/webhooks/123/tok_en", "https://discord.com/****/****/****/****"),
        (
            "https://ops:s3cret@hooks.example.com:8443/in?token=abc&team=x",
            "https://ops:****@hooks.example.com:8443/****?token=****&team=****",
        ),
        ("https://hooks.example.com", "https://hooks.example.com"),
        ("http://[::1]:8080/x", "http://[::1]:8080/****"),
    ],
)
def test_a_webhook_url_shows_only_where_it_goes(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "slack://TokenA/TokenB/TokenC/#general",
        "tgram://123456789:AABBCCDDEEFF/12345",
        "ntfy://my-secret-topic",
        "json://user:pass@example.com/path/tok3n?x=1",
    ],
)
def test_an_apprise_url_shows_only_its_service(url: str) -> None:
    scheme = url.split("://")[0]
    assert opaque_mask(url) == f"{scheme}://****"


def test_a_monitor_shows_header_names_and_its_url_without_the_password() -> None:
    config = {
        "url": "https://probe:pa55word@api.example.com/health?region=eu",
        "headers": {"Authorization": "Bearer tok-0123456789abcdef", "Accept": "text/html"},
        "keyword": "ok",
    }
    assert mask_monitor_config(config) == {
        "url": "https://probe:****@api.example.com/health?region=eu",
        "headers": {"Authorization": "****cdef", "Accept": "****"},
        "keyword": "ok",
    }
    assert mask_url_password("https://api.example.com/health") == "https://api.example.com/health"


STORED = {
    "url": "https://probe:pa55word@api.example.com/health",
    "headers": {"Authorization": "Bearer tok-0123456789abcdef", "X-Team": "ops"},
    "keyword": "ok",
}


def _merge(changes: dict[str, object]) -> dict[str, object]:
    return merge_masked(STORED, mask_monitor_config(STORED), changes, secret_fields=MONITOR_SECRET_FIELDS)


def test_what_was_shown_sent_back_keeps_the_stored_secrets() -> None:
    assert _merge(mask_monitor_config(STORED)) == STORED


def test_a_changed_header_replaces_the_stored_one_and_the_others_are_kept() -> None:
    merged = _merge({"headers": {"Authorization": "****cdef", "X-Team": "sre", "X-New": "1"}})
    assert merged == {
        "headers": {"Authorization": "Bearer tok-0123456789abcdef", "X-Team": "sre", "X-New": "1"}
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "https://probe:****@api.example.com/other"}, "url"),
        ({"headers": {"X-Copied": "****cdef"}}, "headers.X-Copied"),
    ],
)
def test_a_mask_that_cannot_be_restored_is_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _merge(changes)
    assert refused.value.field == field
    assert "send the full value" in refused.value.detail


def test_a_new_monitor_cannot_be_created_with_a_mask_but_other_fields_may_contain_stars() -> None:
    with pytest.raises(InvalidInput):
        merge_masked(None, {}, {"headers": {"Authorization": "****"}}, secret_fields=MONITOR_SECRET_FIELDS)
    assert merge_masked(None, {}, {"keyword": "****"}, secret_fields=MONITOR_SECRET_FIELDS) == {
        "keyword": "****"
    }

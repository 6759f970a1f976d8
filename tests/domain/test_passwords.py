"""The password policy: long enough, not common, not the user's own email or organization."""

from __future__ import annotations

import pytest

from statusping.domain.errors import InvalidInput
from statusping.domain.passwords import check_new_password

EMAIL = "dana.scully@fbi.example"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "too easy to guess: this is a top-10 common password"),
        ("password", "too easy to guess: this is a top-10 common password"),
        ("qwertyuiop", "too easy to guess: this is a top-100 common password"),
        ("passwordpassword", "too easy to guess"),
        ("short", "at least 8 characters"),
        ("x" * 257, "at most 256 characters"),
    ],
)
def test_it_refuses_common_and_badly_sized_passwords_saying_why(password: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password, email=EMAIL)
    assert reason in refused.value.detail
    assert refused.value.field == "password"


@pytest.mark.parametrize("password", [EMAIL, EMAIL.upper(), "dana.scully", "DanaScully", "Acme Widgets"])
def test_it_refuses_the_users_own_email_local_part_and_organization(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password, email=EMAIL, org_names=["Acme Widgets"])
    assert "your email address or organization name" in refused.value.detail


def test_it_refuses_a_password_built_from_the_users_own_words() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_password("scully2024", email=EMAIL)
    assert "built from your email address or organization name" in refused.value.detail


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "a brand new passphrase",
        "hunter2-secret",
        "Tr0ub4dor&3",
        "grüße aus köln am rhein",
    ],
)
def test_it_accepts_passwords_that_are_hard_to_guess(password: str) -> None:
    check_new_password(password, email=EMAIL, org_names=["Acme Widgets"])


def test_a_very_long_password_is_judged_quickly_by_its_beginning() -> None:
    check_new_password("correct horse battery staple " * 8, email=EMAIL)
    with pytest.raises(InvalidInput):
        check_new_password("a" * 256, email=EMAIL)

from __future__ import annotations

import pytest

from statusping.domain.accounts import (
    SLUG_MAX_LENGTH,
    check_password,
    clean_org_name,
    normalize_email,
    slug_candidates,
    slugify,
)
from statusping.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Inc", "acme-inc"),
        ("  Acme   Inc.  ", "acme-inc"),
        ("Café Ünïcode & Co", "cafe-unicode-co"),
        ("ACME--2000!!", "acme-2000"),
        ("日本語", ""),
        ("---", ""),
    ],
)
def test_slugs_are_lowercase_ascii_and_dashes(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_long_names_give_slugs_within_the_limit_without_a_trailing_dash() -> None:
    slug = slugify("word " * 40)
    assert len(slug) <= SLUG_MAX_LENGTH
    assert not slug.endswith("-")


def test_slug_candidates_count_up_and_fall_back_when_empty() -> None:
    assert slug_candidates("acme", "org-x")[:3] == ["acme", "acme-2", "acme-3"]
    assert slug_candidates("", "org-x")[0] == "org-x"
    assert all(len(c) <= SLUG_MAX_LENGTH for c in slug_candidates("a" * SLUG_MAX_LENGTH, "x"))


def test_emails_compare_case_insensitively() -> None:
    assert normalize_email("  Ann@Example.COM ") == "ann@example.com"


@pytest.mark.parametrize("password", ["", "short", "x" * 257])
def test_weak_or_absurd_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_password(password)
    assert caught.value.field == "password"


def test_org_names_are_trimmed_and_bounded() -> None:
    assert clean_org_name("  Acme \n Inc ") == "Acme Inc"
    with pytest.raises(InvalidInput):
        clean_org_name("   ")
    with pytest.raises(InvalidInput):
        clean_org_name("x" * 101)

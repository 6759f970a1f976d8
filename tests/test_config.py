from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from statusping.config import Mode, Settings


def make(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **values)  # type: ignore[arg-type]


def test_a_missing_secret_key_is_generated_once_privately_and_reused(tmp_path: Path) -> None:
    first = make(tmp_path).resolved_secret_key
    path = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 43
    assert make(tmp_path).resolved_secret_key == first


def test_a_configured_secret_key_writes_no_file(tmp_path: Path) -> None:
    assert make(tmp_path, secret_key="k" * 40).resolved_secret_key == "k" * 40
    assert not (tmp_path / "data" / "secret_key").exists()


def test_an_empty_key_file_is_refused_rather_than_used(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").write_text("\n")
    with pytest.raises(RuntimeError, match="no usable key"):
        _ = make(tmp_path).resolved_secret_key


def test_private_targets_follow_the_mode_unless_set(tmp_path: Path) -> None:
    assert make(tmp_path).private_targets_allowed is False
    assert make(tmp_path, mode="selfhosted").private_targets_allowed is True
    assert make(tmp_path, mode="saas", allow_private_targets=True).private_targets_allowed is True
    assert make(tmp_path).mode is Mode.SAAS


def test_environment_variables_are_read_with_the_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATUSPING_BASE_URL", "https://status.example.com/")
    monkeypatch.setenv("STATUSPING_MODE", "selfhosted")
    settings = make(tmp_path)
    assert settings.base_url == "https://status.example.com"
    assert settings.secure_cookies is True
    assert settings.mode is Mode.SELFHOSTED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_url", "mysql://root@localhost/db"),
        ("database_url", "not a url"),
        ("base_url", "status.example.com"),
        ("mode", "enterprise"),
        ("min_interval_seconds", 0),
    ],
)
def test_bad_settings_fail_at_start_naming_the_variable(tmp_path: Path, field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        make(tmp_path, **{field: value})
    assert caught.value.errors()[0]["loc"] == (field,)

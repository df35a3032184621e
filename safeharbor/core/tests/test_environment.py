from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safeharbor.core.email_url import parse_email_url
from safeharbor.core.environment import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)


def test_it_reads_typed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1) == 42
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    assert env_str("X_MISSING", "fallback") == "fallback"


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (lambda: env_bool("X_VALUE", False), "maybe", "X_VALUE must be a boolean"),
        (lambda: env_int("X_VALUE", 1), "ten", "X_VALUE must be a whole number"),
        (lambda: env_int("X_VALUE", 1, minimum=5), "2", "X_VALUE must be at least 5"),
        (lambda: env_choice("X_VALUE", ("a", "b"), "a"), "c", "X_VALUE must be one of a, b"),
    ],
)
def test_a_malformed_value_names_the_variable_and_what_is_expected(
    monkeypatch: pytest.MonkeyPatch,
    reader,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv("X_VALUE", value)
    with pytest.raises(ConfigurationError, match=message):
        reader()


def test_choices_may_be_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_LEVEL", "debug")
    assert env_choice("X_LEVEL", ("DEBUG", "INFO"), "INFO", normalize=str.upper) == "DEBUG"


def test_a_required_value_that_is_missing_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="X_NOPE is required"):
        env_str("X_NOPE", required=True)


def test_file_variants_are_read_and_conflicts_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET", "other")
    with pytest.raises(ConfigurationError, match="X_SECRET and X_SECRET_FILE are both set"):
        env_str("X_SECRET")
    monkeypatch.delenv("X_SECRET")
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "empty"))
    with pytest.raises(ConfigurationError, match="which is empty"):
        env_str("X_SECRET")
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigurationError, match="X_SECRET_FILE points to"):
        env_str("X_SECRET")


def test_email_urls_are_parsed() -> None:
    parsed = parse_email_url("smtp+tls://user%40x:p%2Fw@mail.example.org", "V")
    assert (parsed.host, parsed.port, parsed.user, parsed.password, parsed.use_tls) == (
        "mail.example.org",
        587,
        "user@x",
        "p/w",
        True,
    )
    assert parse_email_url("smtps://mail.example.org:2465", "V").port == 2465
    with pytest.raises(ConfigurationError, match="V must start with one of"):
        parse_email_url("http://mail.example.org", "V")
    with pytest.raises(ConfigurationError, match="names no mail server host"):
        parse_email_url("smtp://", "V")


def _start(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SAFEHARBOR_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "safeharbor", *(args or ("check",))],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SAFEHARBOR_SECRET_KEY (or SAFEHARBOR_SECRET_KEY_FILE) is required"),
        ({"SAFEHARBOR_SECRET_KEY": "short"}, "SAFEHARBOR_SECRET_KEY must be at least 50"),
        ({"SAFEHARBOR_SECRET_KEY": "k" * 60}, "SAFEHARBOR_ALLOWED_HOSTS is required"),
        (
            {
                "SAFEHARBOR_SECRET_KEY": "k" * 60,
                "SAFEHARBOR_ALLOWED_HOSTS": "a.example",
                "SAFEHARBOR_SITE_URL": "https://a.example",
            },
            "SAFEHARBOR_EMAIL_URL is required",
        ),
        (
            {"SAFEHARBOR_ENV": "staging"},
            "SAFEHARBOR_ENV must be one of production, development, test",
        ),
        (
            {"SAFEHARBOR_ENV": "development", "SAFEHARBOR_DEBUG": "perhaps"},
            "SAFEHARBOR_DEBUG must be a boolean",
        ),
        ({"SAFEHARBOR_ENV": "development", "DATABASE_URL": "nosuch://x"}, "DATABASE_URL must be"),
        (
            {"SAFEHARBOR_ENV": "development", "SAFEHARBOR_TASK_BACKEND": "celery"},
            "SAFEHARBOR_TASK_BACKEND must be one of",
        ),
    ],
)
def test_startup_stops_with_the_variable_name(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = _start({"SAFEHARBOR_DATA_DIR": str(tmp_path), **env}, "check")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_production_profile_passes_the_deploy_check(tmp_path: Path) -> None:
    result = _start(
        {
            "SAFEHARBOR_ENV": "production",
            "SAFEHARBOR_SECRET_KEY": "p" * 30 + "Q7-x" * 10,
            "SAFEHARBOR_ALLOWED_HOSTS": "safety.example.org",
            "SAFEHARBOR_EMAIL_URL": "smtp+tls://mailer:pw@mail.example.org",
            "SAFEHARBOR_SITE_URL": "https://safety.example.org",
            "SAFEHARBOR_DATA_DIR": str(tmp_path),
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_generates_a_secret_key_once(tmp_path: Path) -> None:
    env = {"SAFEHARBOR_ENV": "development", "SAFEHARBOR_DATA_DIR": str(tmp_path)}
    assert _start(env).returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert len(first) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert _start(env).returncode == 0
    assert (tmp_path / "secret_key").read_text() == first


def test_passwords_are_hashed_with_argon2_outside_tests(tmp_path: Path) -> None:
    result = _start(
        {"SAFEHARBOR_ENV": "development", "SAFEHARBOR_DATA_DIR": str(tmp_path)},
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
    )
    expected = "safeharbor.passwords.hashers.NormalizingArgon2PasswordHasher"
    assert result.stdout.strip().splitlines()[-1] == expected

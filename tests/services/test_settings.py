"""Settings: safe local defaults, environment over generated file, production refuses defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.local_secrets import ensure_local_secrets, read_env_file
from services.settings import REPO_ROOT, SECRET_FIELDS, Settings, load_settings

STRONG = "x" * 32


def test_local_secrets_are_generated_once(tmp_path: Path) -> None:
    path, added = ensure_local_secrets(tmp_path)
    first = read_env_file(path)
    assert set(added) == set(first) and all(len(v) >= 16 for v in first.values())
    _, added_again = ensure_local_secrets(tmp_path)
    assert added_again == [] and read_env_file(path) == first
    assert path.stat().st_mode & 0o077 == 0, "secrets file is private to its owner"


def test_environment_wins_over_the_generated_file(tmp_path: Path, monkeypatch) -> None:
    ensure_local_secrets(tmp_path)
    monkeypatch.setenv("TANDEM_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-the-environment")
    settings = load_settings()
    assert settings.twilio_auth_token == "from-the-environment"
    assert settings.rasa_token == read_env_file(tmp_path / "local.env")["RASA_TOKEN"]


def test_defaults_are_local(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TANDEM_VAR_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.local_url == "http://127.0.0.1:8080"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}"
    assert settings.public_url == "http://127.0.0.1:8080"


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "tandem_env": "production",
        "tandem_public_url": "https://sms.example.org",
        "database_url": "postgresql+asyncpg://tandem@db/tandem",
        "rasa_tracker_store_url": "postgresql://tandem@db/rasa",
        "redis_url": "redis://cache:6379/1",
        "twilio_account_sid": "AC" + "1" * 32,
        "tandem_secret_key": STRONG,
        "tandem_service_token": STRONG,
        "tandem_phone_hash_key": STRONG,
        "tandem_phone_encryption_keys": STRONG,
        "twilio_auth_token": STRONG,
        "rasa_token": STRONG,
        "action_server_token": STRONG,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_production_accepts_explicit_configuration() -> None:
    assert production().tandem_env == "production"


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"tandem_secret_key": ""}, "TANDEM_SECRET_KEY"),
        ({"twilio_auth_token": "short"}, "TWILIO_AUTH_TOKEN"),
        ({"action_server_token": ""}, "ACTION_SERVER_TOKEN"),
        ({"database_url": None}, "PostgreSQL"),
        ({"rasa_tracker_store_url": "sqlite:///x.db"}, "RASA_TRACKER_STORE_URL"),
        ({"tandem_public_url": None}, "TANDEM_PUBLIC_URL"),
        ({"redis_url": None}, "REDIS_URL"),
        ({"twilio_account_sid": "AC" + "0" * 32}, "TWILIO_ACCOUNT_SID"),
    ],
)
def test_production_refuses_defaults(override: dict, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        production(**override)


def test_production_ignores_the_local_secrets_file(tmp_path: Path, monkeypatch) -> None:
    ensure_local_secrets(tmp_path)
    monkeypatch.setenv("TANDEM_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TANDEM_ENV", "production")
    with pytest.raises(ValidationError, match="production needs real secrets"):
        load_settings()


def test_several_rasa_processes_need_a_shared_lock_store(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="TANDEM_RASA_WORKERS > 1 needs REDIS_URL"):
        Settings(_env_file=None, tandem_var_dir=tmp_path, tandem_rasa_workers=2)  # type: ignore[call-arg]


def test_rasa_processes_listen_on_consecutive_ports(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        tandem_var_dir=tmp_path,
        rasa_url="http://10.0.0.7:5105/",
        tandem_rasa_workers=3,
        redis_url="redis://127.0.0.1:6379/1",
    )
    assert settings.rasa_urls == [
        "http://10.0.0.7:5105",
        "http://10.0.0.7:5106",
        "http://10.0.0.7:5107",
    ]


def test_tandem_run_names_what_production_is_missing(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "TANDEM_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "run", "--profile", "production"],
        env={**env, **production_environment(), "RASA_TOKEN": "short"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Tandem cannot start" in done.stdout and "RASA_TOKEN" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def production_environment() -> dict[str, str]:
    values = production().model_dump()
    names = ("tandem_public_url", "database_url", "rasa_tracker_store_url", "redis_url")
    return {name.upper(): str(values[name]) for name in (*names, *SECRET_FIELDS)} | {
        "TWILIO_ACCOUNT_SID": values["twilio_account_sid"]
    }

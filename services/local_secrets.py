"""Generate local development secrets once, into var/local.env (git-ignored).

Values already in the file are kept, so the auth token `tandem sms` signs with stays the one
the running stack checks. Environment variables still win over the file (see settings.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from services.settings import LOCAL_ENV_FILE

GENERATORS: dict[str, Callable[[], str]] = {
    "TANDEM_SECRET_KEY": lambda: secrets.token_urlsafe(32),
    "TANDEM_SERVICE_TOKEN": lambda: secrets.token_urlsafe(32),
    "TANDEM_PHONE_HASH_KEY": lambda: secrets.token_urlsafe(32),
    "TANDEM_PHONE_ENCRYPTION_KEYS": lambda: Fernet.generate_key().decode(),
    "TWILIO_AUTH_TOKEN": lambda: secrets.token_hex(16),
    "RASA_TOKEN": lambda: secrets.token_urlsafe(32),
    "ACTION_SERVER_TOKEN": lambda: secrets.token_urlsafe(32),
    "TANDEM_RESEARCH_KEY": lambda: secrets.token_urlsafe(32),
}


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                values[key.strip()] = value.strip()
    return values


def ensure_local_secrets(var_dir: Path) -> tuple[Path, list[str]]:
    """Create var/local.env or add missing keys; returns the path and the keys added."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / LOCAL_ENV_FILE
    existing = read_env_file(path)
    added = [key for key in GENERATORS if key not in existing]
    if added:
        with path.open("a") as f:
            if not existing:
                f.write("# Generated local development secrets. Never use in production.\n")
            for key in added:
                f.write(f"{key}={GENERATORS[key]()}\n")
        path.chmod(0o600)
    return path, added

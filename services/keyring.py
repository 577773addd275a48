"""Tandem's key lists as configured: comma-separated, newest first.

TANDEM_PHONE_ENCRYPTION_KEYS lists Fernet keys (the first encrypts, every one decrypts, so keys
rotate by putting a new one first; `tandem keys rotate` then moves what is stored to it), and
TANDEM_PHONE_HASH_KEY lists HMAC keys the same way. The one parser of both.
"""

from __future__ import annotations

from cryptography.fernet import Fernet

FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte, base64
MISSING = "encryption keys are required (tandem init-local)"


def key_list(raw: str) -> list[str]:
    """The keys of a comma-separated list, newest first (blanks and spaces dropped)."""
    return [key.strip() for key in raw.split(",") if key.strip()]


def fernet_keys(raw: str) -> list[Fernet]:
    """The Fernet keys of a comma-separated list, newest first; at least one is required."""
    keys = key_list(raw)
    if not keys:
        raise ValueError(MISSING)
    return [Fernet(key.encode()) for key in keys]

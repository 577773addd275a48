"""Message text encrypted at rest.

What she texts (drug use, pregnancy, violence) is the most sensitive data Tandem holds, so the
message log stores it Fernet-encrypted with the same rotating keys as her phone number
(TANDEM_PHONE_ENCRYPTION_KEYS: the first key encrypts, every key decrypts). Code reads and
writes plain strings; the column type does the rest. The keys are set once per process by
the app factory (``use_keys``): a column type only sees the dialect, not the app.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from services.keyring import FERNET_PREFIX, fernet_keys

_keys: MultiFernet | None = None


def use_keys(encryption_keys: str) -> None:
    """Encrypt with the first of these comma-separated Fernet keys, decrypt with any."""
    global _keys
    _keys = MultiFernet(fernet_keys(encryption_keys))


def _fernet() -> MultiFernet:
    if _keys is None:
        raise RuntimeError("message encryption keys are not set: call use_keys() at start-up")
    return _keys


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        if value is None:
            return None
        return _fernet().encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        if not value:
            return value
        try:
            return _fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            if value.startswith(FERNET_PREFIX):
                raise  # a token made with a key we no longer have: never show ciphertext
            return value  # a row written before encryption (development databases only)

"""Rasa's SQL tracker store, with her words encrypted at rest.

Every event's JSON (her text, parse data and entities, the bot's replies, slot values such as
her name or zip) is stored as a Fernet token under the same keys as Tandem's message log
(TANDEM_PHONE_ENCRYPTION_KEYS, comma-separated: the first encrypts, all decrypt, so `tandem
keys rotate` can move rows to a new key while Rasa runs). The keys come from the environment
(`tandem run` sets it), never the command line. Intent and action names are not stored in
their own columns: a crisis intent next to her client id says too much, and Rasa reads them
from the event JSON anyway. The table keeps Rasa's shape (sender_id, type_name, timestamp), so
Rasa's queries work unchanged and `tandem purge` can delete by sender and age.

bot/endpoints.yml: `tracker_store: {type: bot.tracker_store.EncryptedSQLTrackerStore, ...}`.
Rasa falls back to an in-memory store when this class cannot be imported, so a missing key is
an error that stops Rasa rather than an import error.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from rasa.shared.exceptions import RasaException
from sqlalchemy.ext.declarative import DeclarativeMeta, declarative_base
from sqlalchemy.types import TypeDecorator

KEYS_ENV = "TANDEM_PHONE_ENCRYPTION_KEYS"
FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte, base64

_fernet: MultiFernet | None = None


def use_keys(encryption_keys: str) -> None:
    """Encrypt with the first of these comma-separated Fernet keys, decrypt with any."""
    global _fernet
    keys = [k.strip() for k in encryption_keys.split(",") if k.strip()]
    if not keys:
        raise RasaException(f"{KEYS_ENV} is not set: the tracker store encrypts every event")
    _fernet = MultiFernet([Fernet(k.encode()) for k in keys])


def _keys() -> MultiFernet:
    if _fernet is None:
        raise RasaException("tracker store keys are not set")
    return _fernet


class EncryptedEvent(TypeDecorator):
    """An event's JSON, stored as a Fernet token."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else _keys().encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if not value or not value.startswith(FERNET_PREFIX):
            return value  # written before encryption; `tandem keys rotate` encrypts it
        try:
            return _keys().decrypt(value.encode()).decode()
        except InvalidToken as error:
            # A key no longer configured: fail the turn rather than forget her conversation.
            raise RasaException("a tracker event is encrypted with an unknown key") from error


class Withheld(TypeDecorator):
    """A column Rasa fills that is never written (its value is inside the encrypted JSON)."""

    impl = sa.String(255)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> None:
        return None


class EncryptedSQLTrackerStore(SQLTrackerStore):
    Base: DeclarativeMeta = declarative_base()

    class SQLEvent(Base):  # Rasa's table and columns, with the data encrypted
        __tablename__ = "events"

        id = sa.Column(sa.Integer, _create_sequence(__tablename__), primary_key=True)
        sender_id = sa.Column(sa.String(255), nullable=False, index=True)
        type_name = sa.Column(sa.String(255), nullable=False)
        timestamp = sa.Column(sa.Float)
        intent_name = sa.Column(Withheld)
        action_name = sa.Column(Withheld)
        data = sa.Column(EncryptedEvent)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        use_keys(os.environ.get(KEYS_ENV, ""))
        super().__init__(*args, **kwargs)

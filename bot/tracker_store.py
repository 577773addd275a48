"""Rasa's SQL tracker store, with her words encrypted at rest.

Every event's JSON (her text, parse data and entities, the bot's replies, slot values such as
her name or zip) is stored as a Fernet token under the same keys as Tandem's message log
(TANDEM_PHONE_ENCRYPTION_KEYS, comma-separated: the first encrypts, all decrypt, so `tandem
keys rotate` can move rows to a new key while Rasa runs). The keys come from the environment
(`tandem run` sets it), never the command line. Intent and action names are not stored in
their own columns: a crisis intent next to her client id says too much, and Rasa reads them
from the event JSON anyway. The table keeps Rasa's shape (sender_id, type_name, timestamp), so
Rasa's queries work unchanged and `tandem purge` can delete by sender and age.

Rasa's work around the SQL is cut (issue 15's profile: the tracker store was the Rasa process's
largest part): her session is read as the JSON column alone, with a Core query instead of ORM
rows; a turn's new events are written as one multi-row INSERT instead of an ORM object each;
and a tracker this store read knows how many of its events are stored, so saving it inserts
the rest without first counting the rows again (Rasa's `_additional_events`). One
conversation's turns never run at once (the lock store), so no other process adds to her
session between the two.

bot/endpoints.yml: `tracker_store: {type: bot.tracker_store.EncryptedSQLTrackerStore, ...}`.
Rasa falls back to an in-memory store when this class cannot be imported, so a missing key is
an error that stops Rasa rather than an import error.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from sqlalchemy.ext.declarative import DeclarativeMeta, declarative_base
from sqlalchemy.types import TypeDecorator

KEYS_ENV = "TANDEM_PHONE_ENCRYPTION_KEYS"
FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte, base64
# On a tracker this store read or saved: how many of its events the table holds.
STORED = "_tandem_events_stored"

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

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        events_table = self.SQLEvent.__table__
        query = sa.select(events_table.c.data).where(events_table.c.sender_id == sender_id)
        if not fetch_events_from_all_sessions:
            # Rasa's condition (SQLTrackerStore._event_query): from her last SessionStarted.
            start = (
                sa.select(sa.func.max(events_table.c.timestamp))
                .where(
                    events_table.c.sender_id == sender_id,
                    events_table.c.type_name == SessionStarted.type_name,
                )
                .scalar_subquery()
            )
            query = query.where(sa.or_(events_table.c.timestamp >= start, start.is_(None)))
        with self.session_scope() as session:
            rows = session.execute(query.order_by(events_table.c.id)).scalars().all()
        events = [json.loads(data) for data in rows]
        if not self.domain or not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:
            # Rasa counts what is stored of her last session before each save: it is these.
            setattr(tracker, STORED, len(events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save as one multi-row INSERT (Rasa adds an ORM object per event)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [
                {
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": event.timestamp,
                    "data": json.dumps(event.as_dict()),
                }
                for event in self._additional_events(session, tracker)
            ]
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
                session.commit()
        setattr(tracker, STORED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, STORED, None)
        if stored is None or stored > len(tracker.events):
            return super()._additional_events(session, tracker)  # a tracker made elsewhere
        return itertools.islice(tracker.events, stored, len(tracker.events))

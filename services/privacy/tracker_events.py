"""Rasa's tracker events, seen from the services side: `tandem purge` deletes the old ones and
a woman's when she asks to be forgotten; `tandem keys rotate` re-encrypts them.

The table is Rasa's, written by bot/tracker_store.py (each event's JSON a Fernet token under
the message log's keys); Tandem never creates it and its migrations do not know it. The store
URL is the one Rasa gets (`RASA_TRACKER_STORE_URL`, sync drivers); here it is opened with the
asyncio driver of the same database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.privacy.keys import Rotation

EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("data", sa.Text),
)
SESSION_STARTED = "session_started"
BATCH = 500
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> sa.URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"unsupported tracker store database: {backend}")
    return parsed.set(drivername=ASYNC_DRIVERS[backend])


class TrackerEvents:
    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self._engine: AsyncEngine | None = None

    async def _ready(self) -> AsyncEngine | None:
        """The engine, or None while Rasa has stored nothing yet (no file, no table)."""
        if self.url.get_backend_name() == "sqlite":
            if not await asyncio.to_thread(Path(self.url.database or "").exists):
                return None
        if self._engine is None:
            self._engine = create_async_engine(self.url)
        async with self._engine.connect() as connection:
            exists = await connection.run_sync(lambda c: sa.inspect(c).has_table("events"))
        return self._engine if exists else None

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    async def delete_conversations(self, sender_ids: Iterable[str]) -> int:
        """Every event of these conversations (a woman who asked to be forgotten)."""
        ids = list(sender_ids)
        engine = await self._ready()
        if engine is None or not ids:
            return 0
        deleted = 0
        async with engine.begin() as connection:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                result = await connection.execute(
                    sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))
                )
                deleted += result.rowcount or 0
        return deleted

    async def delete_older_than(self, cutoff: datetime) -> int:
        """Events older than `cutoff`, except those of a conversation session still going on
        (one with newer events): Rasa counts a session's stored events to know which are
        new, so a session is kept whole until it ends. Sessions end after an hour's silence
        by default, so nothing outlives the retention period by more than a session."""
        engine = await self._ready()
        if engine is None:
            return 0
        before = cutoff.timestamp()
        other = EVENTS.alias("other")
        current_start = (
            sa.select(sa.func.max(other.c.timestamp))
            .where(other.c.sender_id == EVENTS.c.sender_id, other.c.type_name == SESSION_STARTED)
            .scalar_subquery()
        )
        newer = (
            sa.select(other.c.id)
            .where(other.c.sender_id == EVENTS.c.sender_id, other.c.timestamp >= before)
            .exists()
        )
        query = sa.delete(EVENTS).where(
            EVENTS.c.timestamp < before,
            sa.or_(~newer, EVENTS.c.timestamp < sa.func.coalesce(current_start, 0.0)),
        )
        async with engine.begin() as connection:
            result = await connection.execute(query)
        return result.rowcount or 0

    async def senders(self) -> set[str]:
        engine = await self._ready()
        if engine is None:
            return set()
        async with engine.connect() as connection:
            return set(await connection.scalars(sa.select(EVENTS.c.sender_id).distinct()))

    async def rotate(self, rotation: Rotation) -> int:
        """Re-encrypt every event under the newest key (and encrypt any stored before the
        tracker store encrypted), batch by batch, while Rasa keeps writing."""
        engine = await self._ready()
        if engine is None:
            return 0
        return await rotation.column(engine, EVENTS, EVENTS.c.data)

"""Rasa's tracker events from the services side (services/privacy/tracker_events.py): deleted
past the retention period without breaking a conversation still going on, deleted whole for a
woman who had her data deleted, and re-encrypted under a new key. On SQLite, and on PostgreSQL
when TANDEM_TEST_POSTGRES_URL names a server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from services.privacy.keys import Rotation
from services.privacy.tracker_events import EVENTS, TrackerEvents, async_url
from tests.postgres import scratch_database

NOW = datetime.now(UTC)
KEY = Fernet.generate_key().decode()


def ago(days: float) -> float:
    return (NOW - timedelta(days=days)).timestamp()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_database("tandem_tracker") as url:
        # The URL as Rasa gets it (a sync driver).
        yield url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    return request.getfixturevalue("postgres_url")


async def store(url: str, rows: list[tuple[str, str, float, str]]) -> None:
    """Rows as bot/tracker_store.py writes them: (sender, type, timestamp, encrypted JSON)."""
    engine = sa.ext.asyncio.create_async_engine(async_url(url))
    async with engine.begin() as connection:
        await connection.run_sync(EVENTS.metadata.create_all)
        await connection.execute(
            sa.insert(EVENTS),
            [{"sender_id": s, "type_name": t, "timestamp": ts, "data": d} for s, t, ts, d in rows],
        )
    await engine.dispose()


async def stored(url: str) -> list[tuple[str, str, float, str]]:
    engine = sa.ext.asyncio.create_async_engine(async_url(url))
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(
                EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data
            ).order_by(EVENTS.c.id)
        )
        result = [tuple(r) for r in rows]
    await engine.dispose()
    return result  # type: ignore[return-value]


def event(sender: str, kind: str, days_ago: float, text: str = "") -> tuple[str, str, float, str]:
    token = Fernet(KEY.encode()).encrypt(f'{{"event": "{kind}", "text": "{text}"}}'.encode())
    return sender, kind, ago(days_ago), token.decode()


def conversations() -> list[tuple[str, str, float, str]]:
    return [
        # c_old: one session, long past the retention period.
        event("c_old", "session_started", 500),
        event("c_old", "user", 500, "old words"),
        # c_going: an old session, then a session that began before the cutoff and is still
        # going on: Rasa counts that session's events, so it stays whole.
        event("c_going", "session_started", 400),
        event("c_going", "user", 400, "old session"),
        event("c_going", "session_started", 365.01),
        event("c_going", "user", 365.01, "current session, first words"),
        event("c_going", "user", 364.99, "current session, later"),
        # c_new: recent.
        event("c_new", "session_started", 2),
        event("c_new", "user", 2, "recent words"),
    ]


async def test_purge_deletes_past_retention_but_keeps_a_session_still_going(
    tracker_url: str,
) -> None:
    await store(tracker_url, conversations())
    events = TrackerEvents(tracker_url)
    try:
        assert await events.delete_older_than(NOW - timedelta(days=365)) == 4
        assert await events.delete_older_than(NOW - timedelta(days=365)) == 0
    finally:
        await events.dispose()
    left = [
        (s, Fernet(KEY.encode()).decrypt(d.encode()).decode())
        for s, _, _, d in await stored(tracker_url)
    ]
    assert [s for s, _ in left] == ["c_going"] * 3 + ["c_new"] * 2
    assert not any("old" in text for _, text in left)


async def test_a_forgotten_conversation_is_deleted_whole(tracker_url: str) -> None:
    await store(tracker_url, conversations())
    events = TrackerEvents(tracker_url)
    try:
        assert await events.delete_conversations(["c_new", "c_going", "c_unknown"]) == 7
        assert await events.senders() == {"c_old"}
    finally:
        await events.dispose()


async def test_rotation_moves_every_event_to_the_newest_key(tracker_url: str) -> None:
    plain = ("c_plain", "user", ago(1), '{"event": "user", "text": "stored before encryption"}')
    await store(tracker_url, [*conversations(), plain])
    new = Fernet.generate_key().decode()
    events = TrackerEvents(tracker_url)
    try:
        assert await events.rotate(Rotation.from_keys(f"{new},{KEY}")) == 10
        assert await events.rotate(Rotation.from_keys(f"{new},{KEY}")) == 0, "nothing left"
    finally:
        await events.dispose()
    texts = [Fernet(new.encode()).decrypt(d.encode()) for *_, d in await stored(tracker_url)]
    assert b"stored before encryption" in texts[-1] and b"recent words" in texts[-2]


async def test_no_tracker_database_yet_is_nothing_to_do(tmp_path: Path) -> None:
    events = TrackerEvents(f"sqlite:///{tmp_path / 'none.db'}")
    assert await events.delete_older_than(NOW) == 0
    assert await events.delete_conversations(["c_1"]) == 0
    assert not (tmp_path / "none.db").exists(), "never creates Rasa's database"

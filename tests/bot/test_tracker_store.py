"""Rasa's tracker store holds her words only encrypted (issue 11, finding 3): the store that
bot/endpoints.yml configures is Tandem's, nothing she said is readable in the database file,
Rasa reads every conversation back whole, and the keys rotate."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import read_endpoint_config

from bot.tracker_store import EncryptedSQLTrackerStore
from tests.ports import closed_port_url

REPO = Path(__file__).resolve().parents[2]
HER_TEXT = "im in 01105, my name is Zelphine and my ex keeps calling 413 555 0177"
DOMAIN = Domain.from_dict({"slots": {"location": {"type": "text", "mappings": []}}})


def store_from_endpoints(
    db: Path, monkeypatch: pytest.MonkeyPatch, keys: str | None
) -> TrackerStore:
    """The tracker store exactly as `rasa run --endpoints bot/endpoints.yml` makes it."""
    url = f"sqlite:///{db}"
    monkeypatch.setenv("RASA_TRACKER_STORE_URL", url)
    monkeypatch.setenv("RASA_TRACKER_DIALECT", "sqlite")
    monkeypatch.setenv("RASA_TRACKER_DB", str(db))
    monkeypatch.setenv("ACTION_ENDPOINT_URL", closed_port_url() + "/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "action-server-test-token")
    monkeypatch.setenv("RASA_LOCK_STORE", "in_memory")
    if keys is None:
        monkeypatch.delenv("TANDEM_PHONE_ENCRYPTION_KEYS", raising=False)
    else:
        monkeypatch.setenv("TANDEM_PHONE_ENCRYPTION_KEYS", keys)
    config = read_endpoint_config(str(REPO / "bot" / "endpoints.yml"), "tracker_store")
    return TrackerStore.create(config, DOMAIN)


def conversation(sender: str = "c_test") -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(
            HER_TEXT,
            {"name": "crisis_violence", "confidence": 1.0},
            [{"entity": "location", "value": "01105"}],
        ),
        SlotSet("location", "01105"),
        ActionExecuted("action_crisis_alert"),
        BotUttered("Zelphine, you are not alone. Call 911 or 1-800-799-7233."),
    ):
        tracker.update(event)
    return tracker


def raw_rows(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return repr(connection.execute("SELECT * FROM events").fetchall())


def test_events_are_stored_encrypted_and_read_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "rasa_tracker.db"
    store = store_from_endpoints(db, monkeypatch, Fernet.generate_key().decode())
    assert isinstance(store, EncryptedSQLTrackerStore)
    tracker = conversation()
    asyncio.run(store.save(tracker))

    stored = raw_rows(db)
    for secret in ("01105", "Zelphine", "555 0177", "crisis_violence", "action_crisis_alert"):
        assert secret not in stored
    assert "c_test" in stored and "user" in stored, "sender and event type stay queryable"

    back = asyncio.run(store.retrieve_full_tracker("c_test"))
    assert back is not None
    assert back.latest_message.text == HER_TEXT
    assert back.latest_message.intent["name"] == "crisis_violence"
    assert back.get_slot("location") == "01105"
    assert [e.as_dict() for e in back.events] == [e.as_dict() for e in tracker.events]


def test_no_keys_stops_rasa_rather_than_keeping_conversations_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(RasaException, match="TANDEM_PHONE_ENCRYPTION_KEYS"):
        store_from_endpoints(tmp_path / "t.db", monkeypatch, None)


def test_rows_under_an_older_key_or_from_before_encryption_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "rasa_tracker.db"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    asyncio.run(store_from_endpoints(db, monkeypatch, old).save(conversation("c_old")))
    with sqlite3.connect(db) as connection:  # a row Rasa's plain SQL store wrote earlier
        connection.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            ("c_plain", "action", 1.0, '{"event": "action", "name": "action_listen"}'),
        )
    store = store_from_endpoints(db, monkeypatch, f"{new},{old}")
    assert asyncio.run(store.retrieve("c_old")).latest_message.text == HER_TEXT
    assert asyncio.run(store.retrieve("c_plain")) is not None

    asyncio.run(store.save(conversation("c_new")))
    with sqlite3.connect(db) as connection:
        tokens = [
            r[0]
            for r in connection.execute("SELECT data FROM events WHERE sender_id = ?", ("c_new",))
        ]
    assert tokens and all(Fernet(new.encode()).decrypt(t.encode()) for t in tokens)

    unknown = store_from_endpoints(db, monkeypatch, new)
    with pytest.raises(RasaException, match="unknown key"):
        asyncio.run(unknown.retrieve("c_old"))


def test_a_turn_saves_each_new_event_once_without_counting_the_stored_ones_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15's profile: reading her session and counting it again before each save were the
    # Rasa process's largest part. A tracker the store read knows what is stored.
    import sqlalchemy as sa

    db = tmp_path / "rasa_tracker.db"
    store = store_from_endpoints(db, monkeypatch, Fernet.generate_key().decode())
    first = conversation()
    asyncio.run(store.save(first))
    statements: list[str] = []
    sa.event.listen(
        store.engine, "before_cursor_execute", lambda *a: statements.append(a[2].split()[0])
    )

    tracker = asyncio.run(store.retrieve("c_test"))
    assert tracker is not None and statements == ["SELECT"]
    statements.clear()
    tracker.update(UserUttered("thanks", {"name": "thank", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_welcome"))
    asyncio.run(store.save(tracker))
    assert statements == ["INSERT"]  # both new events in one statement, nothing counted
    # a second save in the same turn, then a new session started in it
    tracker.update(BotUttered("You're welcome."))
    asyncio.run(store.save(tracker))
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("location", "01105"),
    ):
        tracker.update(event)
    asyncio.run(store.save(tracker))

    # every event once, in order (the session read back starts at SessionStarted: Rasa reads
    # from there, so the action_session_start before it is stored but not in `tracker`)
    everything = asyncio.run(store.retrieve_full_tracker("c_test"))
    assert everything is not None
    expected = [first.events[0], *tracker.events]
    assert [e.as_dict() for e in everything.events] == [e.as_dict() for e in expected]
    session = asyncio.run(store.retrieve("c_test"))  # her new session, from SessionStarted
    assert session is not None
    assert [type(e) for e in session.events] == [SessionStarted, SlotSet]
    assert session.get_slot("location") == "01105"

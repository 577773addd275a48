"""`tandem purge` removes messages and Rasa's tracker events past the retention period, and
the tracker events of everyone who had her data deleted; it keeps the rest."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from services.db.base import utcnow
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Client, Message
from services.settings import REPO_ROOT, Settings


async def test_purge_keeps_recent_messages(settings: Settings) -> None:
    engine = make_engine(settings.effective_database_url)
    old, new = utcnow() - timedelta(days=400), utcnow() - timedelta(days=1)
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Client(id="c_test", phone_hash="h", phone_encrypted="e"))
        await session.flush()
        first = Message(
            client_id="c_test", direction="inbound", body="old", state="answered", created_at=old
        )
        session.add(first)
        await session.flush()
        session.add_all(
            [
                Message(
                    client_id="c_test",
                    direction="outbound",
                    body="old reply",
                    state="twiml",
                    created_at=old,
                    in_reply_to_id=first.id,
                ),
                Message(
                    client_id="c_test",
                    direction="inbound",
                    body="new",
                    state="answered",
                    created_at=new,
                ),
            ]
        )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "purge", "--days", "365"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "TANDEM_VAR_DIR": str(settings.tandem_var_dir), "TANDEM_ENV": "test"},
    )
    assert "removed 2 messages" in done.stdout
    async with make_sessionmaker(engine)() as session:
        left = list(await session.scalars(select(Message.body)))
    await engine.dispose()
    assert left == ["new"]


async def test_purge_deletes_old_tracker_events_and_every_forgotten_conversation(
    settings: Settings,
) -> None:
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Client(id="c_forgotten", phone_hash="forgotten:1", phone_encrypted=""))
        session.add(Client(id="c_here", phone_hash="h", phone_encrypted="e"))
        await session.flush()
        (await session.get(Client, "c_forgotten")).status = "forgotten"  # type: ignore[union-attr]
    await engine.dispose()
    now = utcnow()
    old, recent = (now - timedelta(days=400)).timestamp(), (now - timedelta(days=1)).timestamp()
    tracker = settings.tandem_var_dir / "rasa_tracker.db"
    with sqlite3.connect(tracker) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
            " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),"
            " action_name VARCHAR(255), data TEXT)"
        )
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, 'x')",
            [
                ("c_here", "session_started", old),
                ("c_here", "user", old),
                ("c_here", "session_started", recent),
                ("c_here", "user", recent),
                ("c_forgotten", "session_started", recent),
                ("c_forgotten", "user", recent),
            ],
        )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "purge"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "TANDEM_VAR_DIR": str(settings.tandem_var_dir), "TANDEM_ENV": "test"},
    )
    assert "removed 2 tracker events older than 365 days" in done.stdout
    assert "removed 2 tracker events of clients who had their data deleted" in done.stdout
    with sqlite3.connect(tracker) as db:
        left = db.execute("SELECT sender_id, timestamp FROM events").fetchall()
    assert left == [("c_here", recent), ("c_here", recent)]

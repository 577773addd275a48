"""`tandem purge` removes messages past the retention period and keeps the rest."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from services.db.base import utcnow
from services.db.engine import make_engine, make_sessionmaker
from services.db.models import Client, Message
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

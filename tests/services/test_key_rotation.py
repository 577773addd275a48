"""`tandem keys rotate` on live data (issue 11): women text while the rotation runs, and
afterwards every phone, message and tracker event is under the newest key, every phone hash
under the newest hash key, and the services with only the new keys still know everyone."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import sqlite3
import subprocess
import sys

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, select, text

from services.app import create_app
from services.app_keys import GATEWAY, SESSIONS
from services.clients.lookup import find_or_create_client
from services.db.tables import Client, ClientNote, EngagementSignal, Message
from services.gateway import message_log
from services.settings import REPO_ROOT, Settings
from tests.services.conftest import FakeRasa
from tests.services.test_gateway import form, post_signed

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
OLD_HASH, NEW_HASH = "old-hash-key-0123456789", "new-hash-key-0123456789"
PHONES = [f"+1413555{n:04d}" for n in range(300, 312)]


def keyed(settings: Settings, fake_url: str, keys: str, hash_keys: str) -> Settings:
    update = {
        "rasa_url": fake_url,
        "tandem_phone_encryption_keys": keys,
        "tandem_phone_hash_key": hash_keys,
    }
    return settings.model_copy(update=update)


async def texts(client: TestClient, phones: list[str], words: str) -> None:
    for phone in phones:
        response = await post_signed(client, form(f"{words} from {phone[-4:]}", phone=phone))
        assert response.status == 200


def rotate(settings: Settings) -> subprocess.CompletedProcess[str]:
    """`tandem keys rotate` in its own process, as an operator runs it."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TANDEM_ENV": "test",
        "TANDEM_VAR_DIR": str(settings.tandem_var_dir),
        "TANDEM_PHONE_ENCRYPTION_KEYS": f"{NEW_KEY},{OLD_KEY}",
        "TANDEM_PHONE_HASH_KEY": f"{NEW_HASH},{OLD_HASH}",
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "keys", "rotate"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def tracker_under_old_key(settings: Settings) -> None:
    path = settings.tandem_var_dir / "rasa_tracker.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
            " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),"
            " action_name VARCHAR(255), data TEXT)"
        )
        token = Fernet(OLD_KEY.encode()).encrypt(b'{"event": "user", "text": "01105"}').decode()
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', 1, ?)",
            [(f"c_{n}", token) for n in range(700)],  # more than one batch
        )


async def test_rotation_while_women_are_texting(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    _, fake_url = fake_rasa
    before = keyed(settings, fake_url, OLD_KEY, OLD_HASH)
    async with TestClient(TestServer(create_app(before))) as client:
        await texts(client, PHONES, "need subs near 01105")
        async with client.app[SESSIONS]() as session, session.begin():
            her = await session.scalar(select(Client.id).limit(1))
            assert her is not None
            session.add(ClientNote(client_id=her, body="Ride to intake Tuesday"))
            session.add(
                EngagementSignal(
                    client_id=her, type="provider_rating", value="4", words="she trusts Dr Lee"
                )
            )
    tracker_under_old_key(settings)

    # Step 1 of the procedure: the new keys first, the old ones after, and a restart.
    during = keyed(settings, fake_url, f"{NEW_KEY},{OLD_KEY}", f"{NEW_HASH},{OLD_HASH}")
    async with TestClient(TestServer(create_app(during))) as client:
        # Step 2, while she and others keep texting.
        rotation = asyncio.create_task(asyncio.to_thread(rotate, settings))
        rounds = 0
        while not rotation.done() or rounds == 0:
            await texts(client, PHONES, "is it open today")
            rounds += 1
        done = await rotation
        async with client.app[SESSIONS]() as session:
            clients = await session.scalar(select(func.count()).select_from(Client))
        assert clients == len(PHONES), "nobody became a stranger while the hash key changed"
    assert "phones re-encrypted: 12" in done.stdout
    assert "messages re-encrypted: 24" in done.stdout  # her texts and the replies, before
    assert "tracker events re-encrypted: 700" in done.stdout
    assert "staff notes re-encrypted: 1" in done.stdout
    assert "provider words re-encrypted: 1" in done.stdout
    again = await asyncio.to_thread(rotate, settings)
    assert all(line.endswith(": 0") for line in again.stdout.splitlines()), again.stdout

    # Everything is readable with the new keys alone.
    new = Fernet(NEW_KEY.encode())
    after = keyed(settings, fake_url, NEW_KEY, NEW_HASH)
    async with TestClient(TestServer(create_app(after))) as client:
        async with client.app[SESSIONS]() as session:
            raw = await session.execute(text("SELECT phone_hash, phone_encrypted FROM clients"))
            for phone_hash, token in raw:
                phone = new.decrypt(token.encode()).decode()
                digest = hmac.new(NEW_HASH.encode(), phone.encode(), hashlib.sha256)
                assert phone_hash == digest.hexdigest()
            for (body,) in await session.execute(text("SELECT body FROM messages")):
                new.decrypt(body.encode())
            note = await session.scalar(text("SELECT body FROM client_notes"))
            assert new.decrypt(note.encode()) == b"Ride to intake Tuesday"
            words = await session.scalar(
                text("SELECT words FROM engagement_signals WHERE words IS NOT NULL")
            )
            assert new.decrypt(words.encode()) == b"she trusts Dr Lee"
            for phone in PHONES:
                found = await find_or_create_client(session, client.app[GATEWAY].vault, phone)
                history = await session.scalars(
                    select(Message.body).where(
                        Message.client_id == found.id, Message.direction == "inbound"
                    )
                )
                assert list(history) == [
                    f"need subs near 01105 from {phone[-4:]}",
                    *[f"is it open today from {phone[-4:]}"] * rounds,
                ]
            assert await message_log.count_messages(session) == 2 * (1 + rounds) * len(PHONES)
    with sqlite3.connect(settings.tandem_var_dir / "rasa_tracker.db") as db:
        for (data,) in db.execute("SELECT data FROM events"):
            assert new.decrypt(data.encode()) == b'{"event": "user", "text": "01105"}'
            with pytest.raises(InvalidToken):
                Fernet(OLD_KEY.encode()).decrypt(data.encode())

"""She texts "delete my data" (or "borra mis datos"), confirms once, and Tandem forgets her
(issue 11, finding 3): her messages, signals and Rasa conversation are deleted, her client row
is anonymised, open referrals and consents are closed and her name leaves the consent records.
Nothing happens without the confirmation, and nothing of anyone else's is touched."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from sqlalchemy import select

from services.app_keys import PHONES, SESSIONS
from services.db.tables import Client, Consent, EngagementSignal, Message, Referral
from services.gateway.twiml import twiml_to_messages
from services.nlg.responses import load_response_texts
from services.settings import Settings
from sms_text.segments import count_segments, is_gsm7
from tests.services.conftest import FakeRasa
from tests.services.referral_support import offer, signal_types
from tests.services.test_gateway import form, post_signed

PHONE = "+14135550177"
OTHER = "+14135550178"
KEY = Fernet.generate_key()


async def say(client: TestClient, text: str, phone: str = PHONE, **extra: str) -> list[str]:
    response = await post_signed(client, form(text, phone=phone, **extra))
    assert response.status == 200
    return twiml_to_messages(await response.text())


def tracker_db(settings: Settings, rows: list[tuple[str, str]]) -> Path:
    """Rasa's tracker store with a few events (sender, text), as bot/tracker_store.py keeps
    them."""
    path = Path(settings.effective_tracker_store_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255)"
            " NOT NULL, type_name VARCHAR(255) NOT NULL, timestamp FLOAT,"
            " intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
        )
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', 1, ?)",
            [(s, Fernet(KEY).encrypt(t.encode()).decode()) for s, t in rows],
        )
    return path


def senders(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT sender_id FROM events")}


async def client_of(client: TestClient, phone: str) -> Client:
    async with client.app[SESSIONS]() as session:
        digest = client.app[PHONES].lookup_hash(phone)
        found = await session.scalar(select(Client).where(Client.phone_hash == digest))
    assert found is not None
    return found


async def her_rows(client: TestClient, client_id: str) -> dict[str, list]:
    async with client.app[SESSIONS]() as session:
        return {
            "client": [await session.get(Client, client_id)],
            "messages": list(
                await session.scalars(
                    select(Message).where(Message.client_id == client_id).order_by(Message.id)
                )
            ),
            "signals": list(
                await session.scalars(
                    select(EngagementSignal).where(EngagementSignal.client_id == client_id)
                )
            ),
            "consents": list(
                await session.scalars(select(Consent).where(Consent.client_id == client_id))
            ),
            "referrals": list(
                await session.scalars(select(Referral).where(Referral.client_id == client_id))
            ),
        }


async def test_delete_my_data_confirmed_forgets_her_and_no_one_else(
    client: TestClient,
    fake_rasa: tuple[FakeRasa, str],
    settings: Settings,
    api_headers: dict[str, str],
) -> None:
    fake, _ = fake_rasa
    await say(client, "hi im Zelphine, need subs near 01105")
    await say(client, "hello", phone=OTHER)
    her, other = await client_of(client, PHONE), await client_of(client, OTHER)
    async with client.app[SESSIONS]() as session, session.begin():
        (await session.get(Client, her.id)).preferred_name = "Zelphine"  # type: ignore[union-attr]
    await offer(client, api_headers, her.id)  # a draft referral, her name in the consent text
    assert await signal_types(client, api_headers, her.id)
    tracker = tracker_db(settings, [(her.id, "need subs near 01105"), (other.id, "hello")])

    asked = await say(client, "Delete my data please")
    assert len(asked) == 1 and "Reply DELETE to confirm" in asked[0]
    assert (await client_of(client, PHONE)).id == her.id, "nothing happens before she confirms"
    done = await say(client, "DELETE")
    assert len(done) == 1 and "deleted your messages and data" in done[0]
    assert "988" in done[0] and "911" in done[0]
    assert [m["message"] for m in fake.received] == [
        "hi im Zelphine, need subs near 01105",
        "hello",
    ], "the request and its confirmation never reach the bot"

    rows = await her_rows(client, her.id)
    (forgotten,) = rows["client"]
    assert forgotten.status == "forgotten" and forgotten.opted_out
    assert forgotten.phone_encrypted == "" and forgotten.preferred_name is None
    assert forgotten.phone_hash not in client.app[PHONES].lookup_hashes(PHONE)
    # Only the confirming message is kept, empty, with the answer (a retried webhook gets it).
    assert [(m.direction, m.body) for m in rows["messages"]] == [
        ("inbound", ""),
        ("outbound", done[0]),
    ]
    assert rows["signals"] == []
    (consent,) = rows["consents"]
    assert consent.status == "withdrawn" and consent.patient_name is None
    assert not any("Zelphine" in part for part in consent.text)
    (referral,) = rows["referrals"]
    assert (referral.status, referral.reason) == (
        "cancelled",
        "she asked Tandem to delete her data",
    )
    assert senders(tracker) == {other.id}, "her conversation in Rasa is gone, no one else's"
    assert (await her_rows(client, other.id))["messages"], "another woman keeps hers"

    # She texts again later: someone new to Tandem.
    await say(client, "hi")
    assert fake.received[-1]["sender"] not in (her.id, other.id)


async def test_nothing_is_deleted_without_the_confirmation(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await say(client, "hi")
    assert await say(client, "DELETE") == fake.replies, "a DELETE no one asked for is for the bot"
    await say(client, "delete my data")
    await say(client, "actually no, wait")  # anything else keeps it
    assert await say(client, "DELETE") == fake.replies
    assert (await client_of(client, PHONE)).status == "active"


async def test_in_spanish_and_a_retried_confirmation(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    await say(client, "hola")
    asked = await say(client, "borra mis datos por favor")
    assert "Responde BORRAR" in asked[0]
    confirm = form("BORRAR", phone=PHONE)
    first = twiml_to_messages(await (await post_signed(client, confirm)).text())
    assert "Borramos tus mensajes y datos" in first[0]
    again = twiml_to_messages(await (await post_signed(client, confirm)).text())
    assert again == first, "Twilio's retry gets the same answer"
    async with client.app[SESSIONS]() as session:
        hashes = client.app[PHONES].lookup_hashes(PHONE)
        assert await session.scalar(select(Client).where(Client.phone_hash.in_(hashes))) is None


async def test_she_can_ask_even_after_opting_out(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    await say(client, "STOP")
    assert "Reply DELETE" in (await say(client, "delete my data"))[0]
    assert "deleted" in (await say(client, "delete"))[0]


@pytest.mark.parametrize("name", ["forget_question", "forgotten"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_texts_fit_two_segments(name: str, language: str) -> None:
    text = (
        load_response_texts()
        .get(f"gateway_{name}", language)
        .format(program="Tandem", support="x", frequency="x")
    )
    assert is_gsm7(text) and count_segments(text) <= 2, text
    assert re.search(r"\b(DELETE|BORRAR)\b", text) or name == "forgotten"

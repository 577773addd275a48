"""POST /sms/inbound through the real HTTP endpoint with signed requests."""

from __future__ import annotations

import logging
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from safety import embedding
from services.app import create_app
from services.app_keys import PHONES
from services.db import encrypted
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Client, Message
from services.gateway.signature import sign
from services.gateway.twiml import twiml_to_messages
from services.logs import quiet_chatty_loggers
from services.settings import Settings
from sms_text.segments import count_segments
from tests.services.conftest import AUTH_TOKEN, FakeRasa

PHONE = "+14135550101"
PUBLIC_INBOUND = "https://tandem.example.org/sms/inbound"


def form(body: str, phone: str = PHONE, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": "+14135550199",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


async def post_signed(client: TestClient, params: dict[str, str], token: str = AUTH_TOKEN):
    return await client.post(
        "/sms/inbound",
        data=params,
        headers={"X-Twilio-Signature": sign(token, PUBLIC_INBOUND, params)},
    )


async def count_clients(settings: Settings) -> int:
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(Client))
    await engine.dispose()
    return int(count or 0)


async def test_replies_come_back_as_twiml_in_order(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.replies = ["First reply", "Second & <third>"]
    response = await post_signed(client, form("i need help getting on subs"))
    assert response.status == 200
    assert response.content_type == "text/xml"
    assert twiml_to_messages(await response.text()) == ["First reply", "Second & <third>"]


async def test_rasa_sees_a_pseudonymous_id_never_the_phone(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    await post_signed(client, form("hi"))
    await post_signed(client, form("01105"))
    first, second = fake.received
    assert first["sender"] == second["sender"], "the same phone is the same client"
    assert first["sender"].startswith("c_") and "555" not in first["sender"]
    assert PHONE not in str(fake.received)
    assert first["message"] == "hi" and second["message"] == "01105"
    assert fake.headers[0] == f"Bearer {settings.rasa_token}"
    assert await count_clients(settings) == 1


async def test_rasa_gets_the_sentence_embedding_the_gateway_computed(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    """The crisis judgement embedded her text here; Rasa is handed that row, not left to
    encode the same text again."""
    fake, _ = fake_rasa
    text = "my ride never came and i missed my dose"
    await post_signed(client, form(text))
    sent = fake.received[0]["metadata"]["embedding"]
    assert embedding.remember("a text of its own", sent)
    assert embedding.known("a text of its own") == pytest.approx(embedding.embed([text])[0])


async def test_phone_is_stored_encrypted_and_found_by_keyed_hash(
    client: TestClient, settings: Settings
) -> None:
    await post_signed(client, form("hi", phone="+1 (413) 555-0102"))
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        stored = (await session.scalars(select(Client))).one()
    await engine.dispose()
    assert "5550102" not in stored.phone_encrypted and "5550102" not in stored.phone_hash
    assert client.app[PHONES].decrypt(stored.phone_encrypted) == "+14135550102"
    # The same number in another format finds the same client.
    await post_signed(client, form("again", phone="4135550102"))
    assert await count_clients(settings) == 1


async def test_her_words_are_stored_encrypted_and_read_back(
    client: TestClient, settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.replies = ["Here are 3 places near 01105."]
    await post_signed(client, form("i need suboxone near 01105"))
    engine = make_engine(settings.effective_database_url)
    async with engine.connect() as conn:
        raw = [row[0] for row in await conn.execute(text("SELECT body FROM messages"))]
    async with make_sessionmaker(engine)() as session:
        bodies = list(await session.scalars(select(Message.body).order_by(Message.id)))
    await engine.dispose()
    assert bodies == ["i need suboxone near 01105", "Here are 3 places near 01105."]
    assert raw and not any("suboxone" in r or "01105" in r for r in raw)
    # A new key first, the old one still listed: old rows stay readable (key rotation).
    encrypted.use_keys(f"{Fernet.generate_key().decode()},{settings.tandem_phone_encryption_keys}")
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        assert list(await session.scalars(select(Message.body).order_by(Message.id))) == bodies
    await engine.dispose()


async def test_bad_or_missing_signature_is_403_and_stores_nothing(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    params = form("hi")
    wrong = await post_signed(client, params, token="not-the-token")
    missing = await client.post("/sms/inbound", data=params)
    tampered = await client.post(
        "/sms/inbound",
        data={**params, "Body": "changed"},
        headers={"X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_INBOUND, params)},
    )
    assert [wrong.status, missing.status, tampered.status] == [403, 403, 403]
    assert fake.received == []
    assert await count_clients(settings) == 0


async def test_signature_is_checked_against_the_public_url(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    # Signed for the URL the request really hit (not the public one Twilio calls): rejected.
    params = form("hi")
    local_url = str(client.make_url("/sms/inbound"))
    response = await client.post(
        "/sms/inbound",
        data=params,
        headers={"X-Twilio-Signature": sign(AUTH_TOKEN, local_url, params)},
    )
    assert response.status == 403


async def test_crisis_message_is_answered_when_the_bot_is_down(
    no_network_rasa: Settings,
) -> None:
    async with TestClient(TestServer(create_app(no_network_rasa))) as client:
        replies = {}
        texts = ("she's not breathing", "i just want to die", "do u know a daycare")
        for text in (*texts, "ya no quiero vivir"):
            response = await post_signed(client, form(text))
            replies[text] = " ".join(twiml_to_messages(await response.text()))
    overdose_text = replies["she's not breathing"]
    suicide_text = replies["i just want to die"]
    other_text = replies["do u know a daycare"]
    assert overdose_text.startswith("Call 911 now") and "naloxone" in overdose_text
    assert "988" in suicide_text
    assert "911" in other_text and "988" in other_text
    # a Spanish crisis gets the Spanish crisis text, as the bot would send it
    spanish = replies["ya no quiero vivir"]
    assert spanish.startswith("Gracias por decirmelo") and "marca 2" in spanish


async def test_failed_or_slow_bot_turn_falls_back(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.status = 500
    failed = await post_signed(client, form("he's gonna kill me"))
    assert "1-800-799-7233" in await failed.text()
    fake.status, fake.delay = 200, 3.0  # over the 2 s test budget
    slow = await post_signed(client, form("hello?"))
    assert "988" in await slow.text()


async def test_empty_body_gets_no_reply_and_no_bot_turn(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    response = await post_signed(client, form("   "))
    assert response.status == 200
    assert twiml_to_messages(await response.text()) == []
    assert fake.received == []


async def test_logs_never_carry_the_phone_or_the_text(client: TestClient, caplog) -> None:
    quiet_chatty_loggers()  # as `tandem serve` does
    caplog.set_level(logging.DEBUG)
    await post_signed(client, form("my secret words", phone="+14135550107"))
    logged = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    assert "5550107" not in logged
    assert "secret words" not in logged
    assert any(r.getMessage() == "sms_inbound_answered" for r in caplog.records)


async def test_a_silent_bot_turn_still_gets_an_answer(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.replies = []
    response = await post_signed(client, form("i need a ride to my appt"))
    replies = twiml_to_messages(await response.text())
    assert len(replies) == 1 and "911" in replies[0] and "988" in replies[0]


async def test_a_long_bot_reply_is_split_into_sms_sized_messages(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    long_reply = "Here is a lot to say about rides and childcare. " * 12
    fake.replies = [long_reply.strip(), "Second."]
    replies = twiml_to_messages(await (await post_signed(client, form("tell me"))).text())
    assert len(replies) > 2 and replies[-1] == "Second."
    assert all(count_segments(r) <= 2 for r in replies)
    assert " ".join(replies[:-1]).split() == long_reply.split()

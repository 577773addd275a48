"""Helpers for referral and consent tests: a woman as the gateway makes her (phone encrypted),
her inbound messages (a YES is signed by one), and offering a referral as the bot does (the
consent text then goes out to her, logged as the gateway logs the bot's replies)."""

from __future__ import annotations

import itertools
import secrets

from aiohttp.test_utils import TestClient

from services.app_keys import PHONES, SESSIONS
from services.db.tables import Client, Message

# Demo directory (data/directory/, fictional): a buprenorphine program and a DV advocacy service.
BUPRENORPHINE = "f23f5886-c77a-554c-a6f2-28d518abab0a"
BUPRENORPHINE_NAME = "Family Recovery Buprenorphine Program"
BUPRENORPHINE_ORG = "Pioneer Valley Family Recovery Center"
BUPRENORPHINE_LOCATION = "99e5d755-a1b8-5e64-a258-5a48a2219106"
DV_ADVOCACY = "cfa25533-c6a7-569c-b8d4-917c9edf5ab4"
PHONE = "+14135550142"
_numbers = itertools.count(100)


async def add_woman(
    test_client: TestClient, *, phone: str = PHONE, name: str | None = None, language: str = "en"
) -> str:
    """A client as the gateway stores her: phone encrypted, looked up by keyed hash."""
    vault = test_client.app[PHONES]
    async with test_client.app[SESSIONS]() as session, session.begin():
        row = Client(
            phone_hash=vault.lookup_hash(phone),
            phone_encrypted=vault.encrypt(phone),
            preferred_name=name,
            language=language,
        )
        session.add(row)
    return row.id


async def inbound(test_client: TestClient, client_id: str, body: str = "YES") -> str:
    """An inbound SMS from her as the gateway logs it; returns its MessageSid."""
    sid = "SM" + secrets.token_hex(16)
    async with test_client.app[SESSIONS]() as session, session.begin():
        session.add(
            Message(
                client_id=client_id,
                direction="inbound",
                twilio_sid=sid,
                body=body,
                state="answered",
            )
        )
    return sid


async def sent(test_client: TestClient, client_id: str, texts: list[str]) -> None:
    """Texts that went out to her in a TwiML reply, logged as the gateway logs them."""
    async with test_client.app[SESSIONS]() as session, session.begin():
        session.add_all(
            Message(client_id=client_id, direction="outbound", body=text, state="twiml")
            for text in texts
        )


async def offer(
    test_client: TestClient,
    headers: dict[str, str],
    client_id: str,
    *,
    service_id: str = BUPRENORPHINE,
    need: str = "moud_buprenorphine",
    send: bool = True,
    **extra: object,
) -> dict:
    """POST /api/referrals as the bot's action does, then (unless `send` is False) the consent
    text goes out to her; asserts it was created."""
    response = await test_client.post(
        "/api/referrals",
        json={
            "client_id": client_id,
            "service_id": service_id,
            "need": need,
            "created_by": "bot",
            **extra,
        },
        headers=headers,
    )
    assert response.status == 201, await response.text()
    body = await response.json()
    if send:
        await sent(test_client, client_id, body["consent"]["parts"])
    return body


async def offer_and_grant(
    test_client: TestClient, headers: dict[str, str], client_id: str, **extra: object
) -> dict:
    """A referral she said YES to: requested, under an active consent."""
    offered = await offer(test_client, headers, client_id, **extra)
    sid = await inbound(test_client, client_id)
    response = await test_client.post(
        f"/api/consents/{offered['consent']['id']}/grant",
        json={"client_id": client_id, "message_sid": sid},
        headers=headers,
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def move(
    test_client: TestClient,
    headers: dict[str, str],
    referral_id: int,
    to: str,
    actor: str = "staff:cm1",
    **extra: object,
):  # type: ignore[no-untyped-def]
    return await test_client.post(
        f"/api/referrals/{referral_id}/status",
        json={"to": to, "actor": actor, **extra},
        headers=headers,
    )


async def signal_types(test_client: TestClient, headers: dict[str, str], client_id: str) -> list:
    response = await test_client.get(f"/api/clients/{client_id}/signals", headers=headers)
    return [s["type"] for s in reversed(await response.json())]  # oldest first


def next_phone() -> str:
    return f"+1413555{next(_numbers):04d}"

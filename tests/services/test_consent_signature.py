"""Her consent can only be signed by her own YES to it (issue 11, finding 2): every forgery the
outside probe tried, and the ones it could have, is refused and leaves the consent pending and
the referral a draft; her real YES after them still signs."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from services.app_keys import CONSENTS, SESSIONS
from services.consent.yes import reads_as_yes
from services.db.tables import Message
from tests.services.referral_support import add_woman, inbound, next_phone, offer, sent

CASES = Path(__file__).resolve().parents[1] / "consent_yes_cases.tsv"


def yes_cases() -> list[tuple[str, bool]]:
    lines = CASES.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return [(text, signs == "yes") for text, signs in rows]


@pytest.mark.parametrize(("text", "signs"), yes_cases())
def test_the_yes_rule(text: str, signs: bool) -> None:
    assert reads_as_yes(text) is signs


async def grant(client: TestClient, headers: dict[str, str], consent_id: int, woman: str, sid):  # type: ignore[no-untyped-def]
    return await client.post(
        f"/api/consents/{consent_id}/grant",
        json={"client_id": woman, "message_sid": sid},
        headers=headers,
    )


async def message(client: TestClient, woman: str, direction: str, body: str, **fields) -> str:  # type: ignore[no-untyped-def]
    sid = "SM" + secrets.token_hex(16)
    async with client.app[SESSIONS]() as session, session.begin():
        session.add(
            Message(
                client_id=woman,
                direction=direction,
                twilio_sid=sid,
                body=body,
                state="answered" if direction == "inbound" else "delivered",
                **fields,
            )
        )
    return sid


async def assert_unsigned(client: TestClient, headers: dict[str, str], offered: dict) -> None:
    detail = await (
        await client.get(f"/api/referrals/{offered['referral']['id']}", headers=headers)
    ).json()
    assert detail["status"] == "draft"
    assert detail["consent"]["status"] == "pending"
    assert detail["consent"]["signed_message_sid"] is None


async def test_every_forgery_is_refused_and_her_yes_still_signs(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client)
    other = await add_woman(client, phone=next_phone())
    before = await inbound(client, woman, "YES")  # a yes to something asked earlier
    offered = await offer(client, api_headers, woman, send=False)
    # Received after the consent was written but before its text went out to her.
    early = await inbound(client, woman, "yes")
    await sent(client, woman, offered["consent"]["parts"])
    need = await inbound(client, woman, "need subs near 01105")  # the probe's forgery
    outbound = await message(client, woman, "outbound", "yes")
    someone_elses = await inbound(client, other, "YES")
    expires = datetime.fromisoformat(offered["consent"]["expires_at"])
    # A clock ahead of the service's (another process): received after the consent expired.
    late = await message(client, woman, "inbound", "YES", created_at=expires + timedelta(1))
    forgeries = {
        outbound: (422, "unknown_message"),
        someone_elses: (422, "unknown_message"),
        "SM" + "0" * 32: (422, "unknown_message"),
        before: (422, "not_an_answer"),
        early: (422, "not_an_answer"),
        late: (422, "not_an_answer"),
        need: (422, "not_a_yes"),
        await inbound(client, woman, "what info?"): (422, "not_a_yes"),
        await inbound(client, woman, "no"): (422, "not_a_yes"),
    }
    consent_id = offered["consent"]["id"]
    for sid, (status, error) in forgeries.items():
        response = await grant(client, api_headers, consent_id, woman, sid)
        assert (response.status, (await response.json())["error"]) == (status, error), sid
        await assert_unsigned(client, api_headers, offered)

    yes = await inbound(client, woman, "Yes please")
    signed = await grant(client, api_headers, consent_id, woman, yes)
    assert signed.status == 200
    assert (await signed.json())["consent"]["signed_message_sid"] == yes


async def test_a_reused_signature_is_refused(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client)
    first = await offer(client, api_headers, woman)
    yes = await inbound(client, woman, "YES")
    assert (await grant(client, api_headers, first["consent"]["id"], woman, yes)).status == 200
    second = await offer(client, api_headers, woman)
    reused = await grant(client, api_headers, second["consent"]["id"], woman, yes)
    assert (reused.status, (await reused.json())["error"]) == (409, "message_already_used")
    await assert_unsigned(client, api_headers, second)


async def test_an_expired_consent_cannot_be_signed(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client)
    offered = await offer(client, api_headers, woman)
    yes = await inbound(client, woman, "YES")
    expires = datetime.fromisoformat(offered["consent"]["expires_at"])
    client.app[CONSENTS].clock = lambda: expires
    response = await grant(client, api_headers, offered["consent"]["id"], woman, yes)
    body = await response.json()
    assert (response.status, body["error"], body["consent_status"]) == (
        409,
        "consent_not_pending",
        "expired",
    )


async def test_a_yes_in_spanish_signs_her_spanish_consent(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, language="es")
    offered = await offer(client, api_headers, woman)
    yes = await inbound(client, woman, "Sí, por favor")
    assert (await grant(client, api_headers, offered["consent"]["id"], woman, yes)).status == 200

"""Part 2 consent through /api/*: the text she is shown (every §2.31 element, English and
Spanish, at most two SMS segments a part), her withdrawal by text, expiry, and what staff see."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from services.app_keys import CONSENTS
from services.consent.text import consent_text
from services.directory.taxonomy import load_taxonomy
from services.settings import DATA_DIR
from sms_text.segments import count_segments, is_gsm7
from tests.services.referral_support import (
    BUPRENORPHINE_NAME,
    BUPRENORPHINE_ORG,
    DV_ADVOCACY,
    add_woman,
    inbound,
    move,
    next_phone,
    offer,
    offer_and_grant,
    signal_types,
)


def shown(consent: dict) -> str:
    return " ".join(consent["parts"])


async def test_the_english_text_states_every_part_2_element(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    consent = (await offer(client, api_headers, woman))["consent"]
    text = shown(consent)
    expires = datetime.fromisoformat(consent["expires_at"])
    last_day = (expires - timedelta(seconds=1)).astimezone(ZoneInfo("America/New_York"))
    checks = {
        "who she is": "Jess," in consent["parts"][0],
        "who discloses": "Tandem would give only" in text,
        "what information": "your first name, phone number and that you're looking for "
        "buprenorphine (Suboxone)" in text,
        "to whom": f"{BUPRENORPHINE_ORG} ({BUPRENORPHINE_NAME})" in text,
        "purpose": "so they can contact you about getting started" in text,
        "Part 2": "42 CFR Part 2" in text,
        "right to revoke and how": "take back your OK any time by texting STOP SHARING or "
        '"cancel my referral"' in text,
        "revocation does not undo": "can't undo what was already shared" in text,
        "no conditioning": "Saying no won't change anything with Tandem" in text,
        "expiry": re.search(rf"ends \w+ {last_day.day}, {last_day.year}\.", text) is not None,
        "signature": "Reply YES to sign" in text,
    }
    assert [name for name, ok in checks.items() if not ok] == []
    assert consent["disclosed_by"] == "Tandem"
    assert consent["recipient"] == f"{BUPRENORPHINE_ORG} ({BUPRENORPHINE_NAME})"
    assert consent["language"] == "en"
    created = datetime.fromisoformat(consent["created_at"])
    assert timedelta(days=90) <= expires - created <= timedelta(days=91)


async def test_the_spanish_text_states_every_element_in_her_language(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, language="es")
    consent = (await offer(client, api_headers, woman))["consent"]
    text = shown(consent)
    assert consent["language"] == "es"
    assert consent["patient_name"] is None
    assert consent["parts"][0].startswith("Esto es lo que compartiria.")
    for words in (
        # No name in her profile: none is promised.
        "Tandem solo daria tu numero de teléfono y que buscas buprenorfina (Suboxone).",
        f"Se lo daria a {BUPRENORPHINE_ORG} ({BUPRENORPHINE_NAME}), para que te contacten",
        "42 CFR Parte 2",
        'escribiendo NO COMPARTIR o "cancela mi referido"',
        "Si no, termina el ",
        "Responde SI para firmar",
    ):
        assert words in text
    english = (await offer(client, api_headers, woman, language="en"))["consent"]
    assert english["parts"][0] == (
        "Here is what I'd share. Tandem would give only your phone number and that you're "
        "looking for buprenorphine (Suboxone)."
    )


def test_every_part_fits_two_segments_in_gsm7_for_every_demo_service() -> None:
    taxonomy = load_taxonomy()

    def rows(name: str) -> list[dict[str, str]]:
        text = (DATA_DIR / "directory" / name).read_text(encoding="utf-8")
        return list(csv.DictReader(text.splitlines()))

    organizations = {row["id"]: row["name"] for row in rows("organizations.csv")}
    services = rows("services.csv")
    now = datetime(2026, 11, 28, 15, tzinfo=UTC)
    checked = 0
    for service in services:
        for language in ("en", "es"):
            longest = max(taxonomy.labels, key=lambda c: len(taxonomy.label(c, language)))
            for name in (None, "Guadalupe María"):
                for do_not_contact in (False, True):
                    text = consent_text(
                        language=language,
                        first_name=name,
                        program="Tandem",
                        organization=organizations[service["organization_id"]],
                        service=service["name"],
                        need_label=taxonomy.label(longest, language),
                        do_not_contact=do_not_contact,
                        now=now,
                        tz="America/New_York",
                    )
                    for part in text.parts:
                        assert count_segments(part) <= 2, part
                        assert is_gsm7(part), part
                        checked += 1
    assert checked == len(services) * 2 * 2 * 2 * 4


async def test_withdrawal_is_immediate_and_cancels_every_referral_relying_on_it(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    requested = await offer_and_grant(client, api_headers, woman)
    working = await offer_and_grant(client, api_headers, woman)
    for step in ("accepted", "in-progress"):
        await move(client, api_headers, working["referral"]["id"], step)
    done = await offer_and_grant(client, api_headers, woman)
    for step, extra in (
        ("accepted", {}),
        ("in-progress", {}),
        ("completed", {"outcome": "got_help"}),
    ):
        await move(client, api_headers, done["referral"]["id"], step, **extra)
    pending = await offer(client, api_headers, woman, service_id=DV_ADVOCACY, need="ipv_support")
    other = await add_woman(client, phone=next_phone())
    hers_only = await offer_and_grant(client, api_headers, other)

    sid = await inbound(client, woman, "dont share my info")
    response = await client.post(
        f"/api/clients/{woman}/consents/withdraw", json={"message_sid": sid}, headers=api_headers
    )
    assert response.status == 200
    body = await response.json()
    assert (body["withdrawn"], body["referrals_cancelled"]) == (4, 3)
    assert body["services"] == [
        f"{BUPRENORPHINE_ORG} - {BUPRENORPHINE_NAME}",
        "Lantern House Domestic Violence Services - Domestic Violence Advocacy - Springfield",
    ]
    for offered, status in (
        (requested, "cancelled"),
        (working, "cancelled"),
        (done, "completed"),
        (pending, "cancelled"),
    ):
        detail = await (
            await client.get(f"/api/referrals/{offered['referral']['id']}", headers=api_headers)
        ).json()
        assert detail["status"] == status
        assert detail["consent"]["status"] == "withdrawn"
        assert detail["consent"]["withdrawn_message_sid"] == sid
        if status == "cancelled":
            assert detail["reason"] == "consent withdrawn"
            assert detail["history"][-1]["reason"] == "consent withdrawn"
    theirs = await client.get(f"/api/referrals/{hers_only['referral']['id']}", headers=api_headers)
    assert (await theirs.json())["status"] == "requested"
    types = await signal_types(client, api_headers, woman)
    assert types.count("consent_withdrawn") == 4

    again = await client.post(
        f"/api/clients/{woman}/consents/withdraw", json={}, headers=api_headers
    )
    assert await again.json() == {"withdrawn": 0, "referrals_cancelled": 0, "services": []}


async def test_staff_see_the_withdrawal(client: TestClient, api_headers: dict[str, str]) -> None:
    woman = await add_woman(client)
    granted = await offer_and_grant(client, api_headers, woman)
    sid = await inbound(client, woman, "cancel my referral")
    await client.post(
        f"/api/clients/{woman}/consents/withdraw", json={"message_sid": sid}, headers=api_headers
    )
    response = await client.get(f"/api/clients/{woman}/consents", headers=api_headers)
    assert response.status == 200
    [consent] = await response.json()
    assert consent["id"] == granted["consent"]["id"]
    assert consent["status"] == "withdrawn"
    assert consent["withdrawn_message_sid"] == sid
    assert consent["status_changed_at"] is not None
    assert consent["signed_message_sid"] == granted["consent"]["signed_message_sid"]
    unknown = await client.get("/api/clients/c_nobody/consents", headers=api_headers)
    assert unknown.status == 404


async def test_a_withdrawal_is_never_refused_for_its_message_id(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client)
    await offer_and_grant(client, api_headers, woman)
    response = await client.post(
        f"/api/clients/{woman}/consents/withdraw", json={"message_sid": 12}, headers=api_headers
    )
    assert (await response.json())["withdrawn"] == 1
    nobody = await client.post(
        "/api/clients/c_nobody/consents/withdraw", json={}, headers=api_headers
    )
    assert (nobody.status, (await nobody.json())["error"]) == (404, "unknown_client")


async def test_a_consent_past_its_expiry_cannot_be_signed(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client)
    offered = await offer(client, api_headers, woman)
    expires = datetime.fromisoformat(offered["consent"]["expires_at"])
    client.app[CONSENTS].clock = lambda: expires + timedelta(minutes=1)
    response = await client.post(
        f"/api/consents/{offered['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": await inbound(client, woman)},
        headers=api_headers,
    )
    assert response.status == 409
    body = await response.json()
    assert (body["error"], body["consent_status"]) == ("consent_not_pending", "expired")
    [consent] = await (
        await client.get(f"/api/clients/{woman}/consents", headers=api_headers)
    ).json()
    assert consent["status"] == "expired"
    detail = await client.get(f"/api/referrals/{offered['referral']['id']}", headers=api_headers)
    assert (await detail.json())["status"] == "draft"


@pytest.mark.parametrize("path", ["grant", "decline"])
async def test_answers_need_her_id_and_the_message(
    client: TestClient, api_headers: dict[str, str], path: str
) -> None:
    woman = await add_woman(client)
    offered = await offer(client, api_headers, woman)
    response = await client.post(
        f"/api/consents/{offered['consent']['id']}/{path}", json={}, headers=api_headers
    )
    assert response.status == 400
    assert (await response.json())["field"] == "client_id"
    if path == "grant":
        no_sid = await client.post(
            f"/api/consents/{offered['consent']['id']}/grant",
            json={"client_id": woman},
            headers=api_headers,
        )
        assert (await no_sid.json())["field"] == "message_sid"


async def test_an_unanswered_consent_expires_when_she_picks_another_place(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client)
    first = await offer(client, api_headers, woman)
    second = await offer(client, api_headers, woman)
    detail = await (
        await client.get(f"/api/referrals/{first['referral']['id']}", headers=api_headers)
    ).json()
    assert detail["status"] == "cancelled" and detail["consent"]["status"] == "expired"
    assert detail["reason"] == "she did not answer and picked another place"
    sid = await inbound(client, woman, "YES")
    late = await client.post(
        f"/api/consents/{first['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": sid},
        headers=api_headers,
    )
    assert late.status == 409  # her YES can only sign the question she was last asked
    granted = await client.post(
        f"/api/consents/{second['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": sid},
        headers=api_headers,
    )
    assert granted.status == 200

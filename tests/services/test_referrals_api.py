"""Referrals through /api/*, as the bot's actions and the dashboard use them: offer with its
consent text, her YES or NO, reading and listing, and the signals each step logs."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.services.referral_support import (
    BUPRENORPHINE,
    BUPRENORPHINE_LOCATION,
    BUPRENORPHINE_NAME,
    BUPRENORPHINE_ORG,
    DV_ADVOCACY,
    add_woman,
    inbound,
    next_phone,
    offer,
    offer_and_grant,
    signal_types,
)


@pytest.fixture
async def woman(client: TestClient) -> str:
    return await add_woman(client, name="Jess")


async def test_offer_makes_a_draft_referral_and_a_pending_consent_that_covers_it(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    body = await offer(client, api_headers, woman)
    referral, consent = body["referral"], body["consent"]
    assert referral["client_id"] == woman
    assert (referral["service_id"], referral["location_id"]) == (
        BUPRENORPHINE,
        BUPRENORPHINE_LOCATION,
    )
    assert (referral["service_name"], referral["organization"]) == (
        BUPRENORPHINE_NAME,
        BUPRENORPHINE_ORG,
    )
    assert (referral["need"], referral["status"], referral["created_by"]) == (
        "moud_buprenorphine",
        "draft",
        "bot",
    )
    assert referral["do_not_contact"] is False
    assert referral["reason"] is None and referral["outcome"] is None
    assert referral["consent_id"] == consent["id"]
    assert consent["status"] == "pending"
    assert consent["signed_at"] is None and consent["signed_message_sid"] is None
    assert consent["patient_name"] == "Jess"
    assert consent["parts"][0].startswith("Jess, here is what I'd share.")
    assert BUPRENORPHINE_ORG in consent["recipient"]
    assert await signal_types(client, api_headers, woman) == ["referral_offered"]


async def test_a_group_need_narrows_to_the_code_the_service_offers(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    body = await offer(client, api_headers, woman, need="moud")
    assert body["referral"]["need"] == "moud_buprenorphine"


async def test_yes_requests_the_referral_and_gives_her_the_service(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    offered = await offer(client, api_headers, woman)
    sid = await inbound(client, woman, "yes")
    response = await client.post(
        f"/api/consents/{offered['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": sid},
        headers=api_headers,
    )
    assert response.status == 200
    body = await response.json()
    assert body["consent"]["status"] == "active"
    assert body["consent"]["signed_message_sid"] == sid
    assert body["consent"]["signed_at"] is not None
    assert body["referral"]["status"] == "requested"
    assert body["service"]["name"] == BUPRENORPHINE_NAME
    assert body["service"]["organization"] == BUPRENORPHINE_ORG
    assert body["service"]["phone"] == "(413) 555-0120"
    assert await signal_types(client, api_headers, woman) == [
        "referral_offered",
        "consent_given",
        "referral_accepted",
    ]
    signals = await (await client.get(f"/api/clients/{woman}/signals", headers=api_headers)).json()
    assert {s["message_sid"] for s in signals if s["type"] != "referral_offered"} == {sid}

    again = await client.post(
        f"/api/consents/{offered['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": await inbound(client, woman)},
        headers=api_headers,
    )
    assert again.status == 409
    assert (await again.json())["error"] == "consent_not_pending"


async def test_no_cancels_the_referral_and_gives_her_the_contact_details(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    offered = await offer(client, api_headers, woman)
    response = await client.post(
        f"/api/consents/{offered['consent']['id']}/decline",
        json={"client_id": woman},
        headers=api_headers,
    )
    assert response.status == 200
    body = await response.json()
    assert body["consent"]["status"] == "declined"
    assert body["referral"]["status"] == "cancelled"
    assert body["referral"]["reason"] == "she chose to contact the service herself"
    service = body["service"]
    assert (service["name"], service["phone"]) == (BUPRENORPHINE_NAME, "(413) 555-0120")
    assert service["address"] and "Springfield" in service["address"]
    assert await signal_types(client, api_headers, woman) == [
        "referral_offered",
        "referral_declined",
    ]
    granted_late = await client.post(
        f"/api/consents/{offered['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": await inbound(client, woman)},
        headers=api_headers,
    )
    assert granted_late.status == 409
    assert (await granted_late.json())["consent_status"] == "declined"


async def test_her_yes_must_be_a_message_she_sent(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    offered = await offer(client, api_headers, woman)
    other = await add_woman(client, phone=next_phone())
    someone_elses = await inbound(client, other)
    for sid in ("SM" + "0" * 32, someone_elses):
        response = await client.post(
            f"/api/consents/{offered['consent']['id']}/grant",
            json={"client_id": woman, "message_sid": sid},
            headers=api_headers,
        )
        assert response.status == 422
        assert (await response.json())["error"] == "unknown_message"
    detail = await client.get(f"/api/referrals/{offered['referral']['id']}", headers=api_headers)
    assert (await detail.json())["status"] == "draft"


async def test_one_message_signs_one_consent(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    first = await offer(client, api_headers, woman)
    sid = await inbound(client, woman)
    ok = await client.post(
        f"/api/consents/{first['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": sid},
        headers=api_headers,
    )
    assert ok.status == 200
    second = await offer(client, api_headers, woman)
    reused = await client.post(
        f"/api/consents/{second['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": sid},
        headers=api_headers,
    )
    assert reused.status == 409
    assert (await reused.json())["error"] == "message_already_used"


async def test_a_consent_is_answered_only_by_her(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    offered = await offer(client, api_headers, woman)
    other = await add_woman(client, phone=next_phone())
    consent_id = offered["consent"]["id"]
    for path, body in (
        ("grant", {"client_id": other, "message_sid": await inbound(client, other)}),
        ("decline", {"client_id": other}),
    ):
        response = await client.post(
            f"/api/consents/{consent_id}/{path}", json=body, headers=api_headers
        )
        assert response.status == 404
        assert (await response.json())["error"] == "unknown_consent"
    missing = await client.post(
        "/api/consents/999999/decline", json={"client_id": woman}, headers=api_headers
    )
    assert missing.status == 404


async def test_do_not_contact_is_on_for_domestic_violence_and_when_she_asks(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    dv = await offer(client, api_headers, woman, service_id=DV_ADVOCACY, need="ipv_support")
    assert dv["referral"]["do_not_contact"] is True
    # Her phone number is not shared, and the text says the provider won't contact her.
    assert "phone" not in dv["consent"]["information"]
    assert "won't contact you directly" in " ".join(dv["consent"]["parts"])
    forced = await offer(
        client,
        api_headers,
        woman,
        service_id=DV_ADVOCACY,
        need="ipv_support",
        do_not_contact=False,
    )
    assert forced["referral"]["do_not_contact"] is True
    asked = await offer(client, api_headers, woman, do_not_contact=True)
    assert asked["referral"]["do_not_contact"] is True
    plain = await offer(client, api_headers, woman)
    assert plain["referral"]["do_not_contact"] is False
    assert "phone number" in plain["consent"]["information"]


async def test_get_shows_the_history_and_the_consent(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    granted = await offer_and_grant(client, api_headers, woman)
    referral_id = granted["referral"]["id"]
    response = await client.get(f"/api/referrals/{referral_id}", headers=api_headers)
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "requested"
    assert [(h["from"], h["to"], h["actor"]) for h in body["history"]] == [
        (None, "draft", "bot"),
        ("draft", "requested", "bot"),
    ]
    assert body["consent"]["status"] == "active"
    assert body["consent"]["id"] == body["consent_id"]


async def test_list_filters_by_client_and_status_newest_first(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    other = await add_woman(client, phone=next_phone())
    first = await offer(client, api_headers, woman)
    granted = await offer_and_grant(client, api_headers, woman)
    theirs = await offer(client, api_headers, other)

    mine = await client.get("/api/referrals", params={"client_id": woman}, headers=api_headers)
    body = await mine.json()
    assert body["total"] == 2
    assert [r["id"] for r in body["referrals"]] == [
        granted["referral"]["id"],
        first["referral"]["id"],
    ]
    drafts = await client.get("/api/referrals", params={"status": "draft"}, headers=api_headers)
    assert {r["id"] for r in (await drafts.json())["referrals"]} == {theirs["referral"]["id"]}
    # Her first offer went unanswered when she picked again: cancelled, not a stale draft.
    cancelled = await client.get(
        "/api/referrals", params={"status": "cancelled"}, headers=api_headers
    )
    assert [r["id"] for r in (await cancelled.json())["referrals"]] == [first["referral"]["id"]]
    page = await client.get(
        "/api/referrals", params={"limit": "1", "offset": "1"}, headers=api_headers
    )
    paged = await page.json()
    assert (paged["total"], len(paged["referrals"]), paged["offset"]) == (3, 1, 1)


@pytest.mark.parametrize(
    ("payload", "status", "error", "field"),
    [
        ({"service_id": "nope"}, 404, "unknown_service", "service_id"),
        ({"need": "unicorns"}, 400, "unknown_need", "need"),
        ({"need": "housing"}, 422, "need_not_offered", "need"),
        ({"created_by": "someone"}, 400, "invalid_field", "created_by"),
        ({"created_by": None}, 400, "invalid_field", "created_by"),
        ({"language": "fr"}, 400, "invalid_field", "language"),
        ({"do_not_contact": "yes"}, 400, "invalid_field", "do_not_contact"),
        ({"location_id": "elsewhere"}, 404, "unknown_location", "location_id"),
        ({"client_id": "c_nobody"}, 404, "unknown_client", "client_id"),
        ({"service_id": None}, 400, "invalid_field", "service_id"),
    ],
)
async def test_invalid_offers_are_refused_and_leave_nothing(
    client: TestClient,
    api_headers: dict[str, str],
    woman: str,
    payload: dict,
    status: int,
    error: str,
    field: str,
) -> None:
    body = {
        "client_id": woman,
        "service_id": BUPRENORPHINE,
        "need": "moud_buprenorphine",
        "created_by": "bot",
        **payload,
    }
    response = await client.post("/api/referrals", json=body, headers=api_headers)
    assert response.status == status
    answer = await response.json()
    assert (answer["error"], answer.get("field")) == (error, field)
    listed = await (await client.get("/api/referrals", headers=api_headers)).json()
    assert listed["total"] == 0
    assert await signal_types(client, api_headers, woman) == []


async def test_unknown_referral_and_bad_parameters(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    for path in ("/api/referrals/424242", "/api/referrals/abc"):
        response = await client.get(path, headers=api_headers)
        assert response.status == 404
        assert (await response.json())["error"] == "unknown_referral"
    for params in ({"status": "done"}, {"limit": "0"}, {"offset": "-1"}):
        response = await client.get("/api/referrals", params=params, headers=api_headers)
        assert response.status == 400
    nobody = await client.get(
        "/api/referrals", params={"client_id": "c_nobody"}, headers=api_headers
    )
    assert nobody.status == 404


async def test_referrals_and_consents_need_the_service_token(
    client: TestClient, woman: str
) -> None:
    for method, path in (
        ("POST", "/api/referrals"),
        ("GET", "/api/referrals"),
        ("GET", "/api/referrals/1"),
        ("POST", "/api/referrals/1/status"),
        ("GET", "/api/referrals/1/fhir"),
        ("POST", "/api/consents/1/grant"),
        ("POST", "/api/consents/1/decline"),
        ("POST", f"/api/clients/{woman}/consents/withdraw"),
        ("GET", f"/api/clients/{woman}/consents"),
    ):
        response = await client.request(method, path, json={})
        assert response.status == 401, path


async def test_a_yes_after_staff_closed_the_referral_signs_nothing(
    client: TestClient, api_headers: dict[str, str], woman: str
) -> None:
    offered = await offer(client, api_headers, woman)
    await client.post(
        f"/api/referrals/{offered['referral']['id']}/status",
        json={"to": "cancelled", "reason": "entered twice", "actor": "staff:cm1"},
        headers=api_headers,
    )
    response = await client.post(
        f"/api/consents/{offered['consent']['id']}/grant",
        json={"client_id": woman, "message_sid": await inbound(client, woman)},
        headers=api_headers,
    )
    assert (response.status, (await response.json())["error"]) == (409, "concurrent_change")
    [consent] = await (
        await client.get(f"/api/clients/{woman}/consents", headers=api_headers)
    ).json()
    assert (consent["status"], consent["signed_message_sid"]) == ("pending", None)
    assert await signal_types(client, api_headers, woman) == ["referral_offered"]

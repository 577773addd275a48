"""GET /api/referrals/{id}/fhir: the provider-facing FHIR R4 Bundle (ServiceRequest, Task,
Consent, Patient) following the Gravity SDOH Clinical Care profiles, validated with
fhir.resources; and nothing about her leaves without an active consent covering it."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient
from fhir.resources.R4B.bundle import Bundle

from services.app_keys import REFERRALS
from tests.services.referral_support import (
    BUPRENORPHINE_NAME,
    BUPRENORPHINE_ORG,
    DV_ADVOCACY,
    PHONE,
    add_woman,
    inbound,
    move,
    next_phone,
    offer,
    offer_and_grant,
)

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
TEMP_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
# Gravity's referral Task status value set: FHIR TaskStatus without ready and received.
TASK_STATUSES = {
    "draft",
    "requested",
    "accepted",
    "rejected",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
}


async def export(client: TestClient, headers: dict[str, str], referral_id: int):  # type: ignore[no-untyped-def]
    return await client.get(f"/api/referrals/{referral_id}/fhir", headers=headers)


def resources(bundle: dict) -> dict[str, dict]:
    return {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}


def full_urls(bundle: dict) -> dict[str, str]:
    return {e["resource"]["resourceType"]: e["fullUrl"] for e in bundle["entry"]}


def assert_gravity_profiles(bundle: dict) -> None:
    """The IG constraints fhir.resources does not check (fixed values, cardinalities)."""
    found, urls = resources(bundle), full_urls(bundle)
    task, request, consent = found["Task"], found["ServiceRequest"], found["Consent"]
    assert task["meta"]["profile"] == [
        f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"
    ]
    assert task["intent"] == "order"
    assert task["code"]["coding"][0]["system"] == "http://hl7.org/fhir/CodeSystem/task-code"
    assert task["code"]["coding"][0]["code"] == "fulfill"
    assert task["focus"]["reference"] == urls["ServiceRequest"]
    assert task["for"]["reference"] == urls["Patient"]
    assert task["authoredOn"] and task["requester"] and task["owner"]
    assert task["status"] in TASK_STATUSES
    if task["status"] in {"rejected", "cancelled", "on-hold", "failed"}:
        assert task["statusReason"]["text"]
    assert request["meta"]["profile"] == [f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"]
    assert any(c["coding"][0]["system"] == TEMP_CODES for c in request["category"])
    assert request["subject"]["reference"] == urls["Patient"]
    assert request["supportingInfo"] == [{"reference": urls["Consent"]}]
    assert request["intent"] == "order"
    assert consent["meta"]["profile"] == [f"{SDOHCC}/StructureDefinition/SDOHCC-Consent"]
    assert consent["category"][0]["coding"][0]["code"] == "IDSCL"
    assert consent["scope"]["coding"][0]["code"] == "patient-privacy"
    assert consent["patient"]["reference"] == urls["Patient"]
    assert consent["dateTime"] and consent["organization"] and consent["sourceAttachment"]
    assert consent["policy"]


async def test_an_active_consent_exports_a_valid_gravity_bundle(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    granted = await offer_and_grant(client, api_headers, woman)
    response = await export(client, api_headers, granted["referral"]["id"])
    assert response.status == 200
    assert response.content_type == "application/fhir+json"
    bundle = await response.json()
    Bundle.model_validate(bundle)  # the FHIR models accept it as it went out
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    assert sorted(resources(bundle)) == ["Consent", "Patient", "ServiceRequest", "Task"]
    assert_gravity_profiles(bundle)

    found = resources(bundle)
    task, request, consent, patient = (
        found["Task"],
        found["ServiceRequest"],
        found["Consent"],
        found["Patient"],
    )
    assert (task["status"], request["status"]) == ("requested", "active")
    assert task["owner"]["display"] == BUPRENORPHINE_ORG
    assert request["performer"][0]["display"] == f"{BUPRENORPHINE_ORG} - {BUPRENORPHINE_NAME}"
    assert request["code"]["coding"][0]["code"] == "moud_buprenorphine"
    assert request["code"]["text"] == "buprenorphine (Suboxone)"
    assert "orderDetail" not in request
    # Exactly what her consent lists: her first name and phone (and the need, above).
    assert patient["name"] == [{"given": ["Jess"]}]
    assert patient["telecom"] == [{"system": "phone", "value": PHONE, "use": "mobile"}]
    assert set(patient) == {"resourceType", "identifier", "name", "telecom"}
    # The consent: active, signed by her YES, the exact text she was shown, until its expiry.
    signed = granted["consent"]
    assert consent["status"] == "active"
    assert consent["provision"]["period"]["end"].startswith(signed["expires_at"][:10])
    text = base64.b64decode(consent["sourceAttachment"]["data"]).decode()
    assert text == "\n\n".join(signed["parts"])
    assert {
        "system": "https://tandem.example.org/messages",
        "value": signed["signed_message_sid"],
    } in consent["identifier"]
    assert consent["provision"]["actor"][0]["reference"]["display"] == BUPRENORPHINE_ORG


async def test_do_not_contact_flags_the_request_and_leaves_her_phone_out(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    granted = await offer_and_grant(
        client, api_headers, woman, service_id=DV_ADVOCACY, need="ipv_support"
    )
    bundle = await (await export(client, api_headers, granted["referral"]["id"])).json()
    found = resources(bundle)
    detail = found["ServiceRequest"]["orderDetail"]
    assert detail[0]["coding"][0] == {
        "system": TEMP_CODES,
        "code": "contacting-subject-prohibited",
        "display": "Contacting subject prohibited",
    }
    assert (
        found["ServiceRequest"]["category"][0]["coding"][0]["code"] == "intimate-partner-violence"
    )
    assert "telecom" not in found["Patient"]
    assert PHONE not in str(bundle)


@pytest.mark.parametrize(
    ("steps", "task_status", "request_status"),
    [
        ([("accepted", {})], "accepted", "active"),
        ([("accepted", {}), ("in-progress", {})], "in-progress", "active"),
        (
            [("accepted", {}), ("in-progress", {}), ("on-hold", {"reason": "in hospital"})],
            "on-hold",
            "on-hold",
        ),
        (
            [("rejected", {"reason": "no openings", "outcome": "no_capacity"})],
            "rejected",
            "revoked",
        ),
        ([("cancelled", {"reason": "moved away"})], "cancelled", "revoked"),
        (
            [("accepted", {}), ("in-progress", {}), ("failed", {"reason": "lost contact"})],
            "failed",
            "revoked",
        ),
        (
            [("accepted", {}), ("in-progress", {}), ("completed", {"outcome": "got_help"})],
            "completed",
            "completed",
        ),
        ([("entered-in-error", {})], "entered-in-error", "entered-in-error"),
    ],
)
async def test_statuses_map_onto_task_and_service_request(
    client: TestClient,
    api_headers: dict[str, str],
    steps: list,
    task_status: str,
    request_status: str,
) -> None:
    woman = await add_woman(client)
    referral_id = (await offer_and_grant(client, api_headers, woman))["referral"]["id"]
    for to, extra in steps:
        assert (await move(client, api_headers, referral_id, to, **extra)).status == 200
    response = await export(client, api_headers, referral_id)
    assert response.status == 200
    bundle = await response.json()
    Bundle.model_validate(bundle)
    assert_gravity_profiles(bundle)
    task = resources(bundle)["Task"]
    assert (task["status"], resources(bundle)["ServiceRequest"]["status"]) == (
        task_status,
        request_status,
    )
    reason = steps[-1][1].get("reason")
    assert task.get("statusReason") == ({"text": reason} if reason else None)
    outcome = steps[-1][1].get("outcome")
    if outcome:
        assert task["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == outcome
    assert task["note"][-1]["text"].endswith(
        f"-> {task_status}" + (f": {reason}" if reason else "")
    )


def assert_nothing_about_her(body: dict, *secrets: str) -> None:
    assert set(body) <= {"error", "message", "field"}
    assert body["error"] == "no_active_consent"
    for secret in secrets:
        assert secret not in str(body)


async def test_no_export_while_her_consent_is_pending(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    offered = await offer(client, api_headers, woman)
    response = await export(client, api_headers, offered["referral"]["id"])
    assert response.status == 409
    assert_nothing_about_her(await response.json(), "Jess", PHONE, woman)


async def test_no_export_after_she_declines(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    offered = await offer(client, api_headers, woman)
    await client.post(
        f"/api/consents/{offered['consent']['id']}/decline",
        json={"client_id": woman},
        headers=api_headers,
    )
    response = await export(client, api_headers, offered["referral"]["id"])
    assert response.status == 409
    assert_nothing_about_her(await response.json(), "Jess", PHONE, woman)


async def test_no_export_once_she_withdraws(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    granted = await offer_and_grant(client, api_headers, woman)
    referral_id = granted["referral"]["id"]
    assert (await export(client, api_headers, referral_id)).status == 200
    await client.post(
        f"/api/clients/{woman}/consents/withdraw",
        json={"message_sid": await inbound(client, woman, "STOP SHARING")},
        headers=api_headers,
    )
    response = await export(client, api_headers, referral_id)
    assert response.status == 409
    assert_nothing_about_her(await response.json(), "Jess", PHONE, woman)


async def test_no_export_after_her_consent_expires(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    granted = await offer_and_grant(client, api_headers, woman)
    referral_id = granted["referral"]["id"]
    expires = datetime.fromisoformat(granted["consent"]["expires_at"])
    client.app[REFERRALS].clock = lambda: expires - timedelta(seconds=1)
    assert (await export(client, api_headers, referral_id)).status == 200
    client.app[REFERRALS].clock = lambda: expires
    response = await export(client, api_headers, referral_id)
    assert response.status == 409
    assert_nothing_about_her(await response.json(), "Jess", PHONE, woman)
    detail = await (await client.get(f"/api/referrals/{referral_id}", headers=api_headers)).json()
    assert detail["consent"]["status"] == "expired"


async def test_one_womans_consent_never_covers_another(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, name="Jess")
    other = await add_woman(client, phone=next_phone(), name="Ana")
    await offer_and_grant(client, api_headers, woman)
    theirs = await offer(client, api_headers, other)
    response = await export(client, api_headers, theirs["referral"]["id"])
    assert response.status == 409
    assert_nothing_about_her(await response.json(), "Ana", "Jess", other)


async def test_unknown_referral(client: TestClient, api_headers: dict[str, str]) -> None:
    response = await export(client, api_headers, 55555)
    assert (response.status, (await response.json())["error"]) == (404, "unknown_referral")

"""GET /api/clients/{id}/engagement: her place on the continuum, its reasons and the outreach
flag, as JSON for staff tools (the same summary her dashboard page shows)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from services.app_keys import SESSIONS
from services.db.base import utcnow
from services.db.tables import EngagementSignal, Referral, ReferralStatusChange
from tests.services.referral_support import BUPRENORPHINE


async def post(client: TestClient, headers: dict[str, str], client_id: str, type_: str, value=None):  # type: ignore[no-untyped-def]
    body = {"client_id": client_id, "type": type_, "value": value}
    response = await client.post("/api/signals", json=body, headers=headers)
    assert response.status == 201, await response.text()


async def test_her_engagement_with_its_reasons(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    for type_, value in [
        ("message_in", None),
        ("need_expressed", "housing"),
        ("appointment_attended", None),
        ("provider_rating", 5),
    ]:
        await post(client, api_headers, client_id, type_, value)
    response = await client.get(f"/api/clients/{client_id}/engagement", headers=api_headers)
    assert response.status == 200
    body = await response.json()
    assert body["client_id"] == client_id
    assert (body["level"], body["label"]) == ("cooperative", "Cooperative")
    assert body["reasons"][0] == "She texted once in the last 90 days."
    assert body["reasons"][-1] == "Not collaborative yet: more needs unmet than met."
    assert body["needs_unmet"] == ["housing"]
    assert body["flag"] == {"flagged": False, "reasons": []}
    assert body["counts"]["provider_rating"] == 1


async def test_a_return_to_use_without_follow_up_is_flagged(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    async with client.app[SESSIONS]() as session, session.begin():
        session.add(
            EngagementSignal(
                client_id=client_id, type="return_to_use", created_at=utcnow() - timedelta(days=4)
            )
        )
    body = await (
        await client.get(f"/api/clients/{client_id}/engagement", headers=api_headers)
    ).json()
    assert body["level"] == "not_engaged"
    assert body["flag"]["flagged"] is True
    assert body["flag"]["reasons"][0].startswith("A return to use 4 days ago")


async def test_a_referral_that_helped_her_is_a_need_met(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    now = utcnow()
    async with client.app[SESSIONS]() as session, session.begin():
        referral = Referral(
            client_id=client_id,
            service_id=BUPRENORPHINE,
            need="moud_buprenorphine",
            created_by="bot",
            status="completed",
            outcome="got_help",
            created_at=now - timedelta(days=120),  # made before the window, helped within it
        )
        session.add(referral)
        await session.flush()
        for to, outcome, days in (("requested", None, 119), ("completed", "got_help", 10)):
            session.add(
                ReferralStatusChange(
                    referral_id=referral.id,
                    to_status=to,
                    outcome=outcome,
                    actor="staff:1",
                    created_at=now - timedelta(days=days),
                )
            )
        session.add(EngagementSignal(client_id=client_id, type="need_expressed", value="moud"))
    body = await (
        await client.get(f"/api/clients/{client_id}/engagement", headers=api_headers)
    ).json()
    assert (body["needs_met"], body["needs_unmet"]) == (["moud"], [])
    assert "Needs met: medication for OUD (MOUD); still unmet: none." in body["reasons"]
    assert body["level"] == "connecting"  # she consented 119 days ago: outside the window


async def test_unknown_client_and_no_token(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    missing = await client.get("/api/clients/c_nobody/engagement", headers=api_headers)
    assert (missing.status, (await missing.json())["error"]) == (404, "unknown_client")
    assert (await client.get(f"/api/clients/{client_id}/engagement")).status == 401

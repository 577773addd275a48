"""The referral lifecycle through POST /api/referrals/{id}/status: every allowed and every
forbidden transition, reason and outcome rules, and one history row per change.

The expected table is written out here from the Gravity SDOH Clinical Care referral Task state
diagram, independently of services/referrals/lifecycle.py."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.services.referral_support import (
    add_woman,
    move,
    next_phone,
    offer,
    offer_and_grant,
    signal_types,
)

STATUSES = (
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
)
ALLOWED = {
    "draft": {"requested", "cancelled", "entered-in-error"},
    "requested": {"accepted", "rejected", "cancelled", "entered-in-error"},
    "accepted": {"in-progress", "cancelled", "entered-in-error"},
    "in-progress": {"on-hold", "failed", "completed", "cancelled", "entered-in-error"},
    "on-hold": {"in-progress", "failed", "cancelled", "entered-in-error"},
    "rejected": {"entered-in-error"},
    "cancelled": {"entered-in-error"},
    "failed": {"entered-in-error"},
    "completed": {"entered-in-error"},
    "entered-in-error": set(),
}
# How to reach each status from a referral she said YES to (requested).
ROUTES = {
    "requested": [],
    "accepted": ["accepted"],
    "rejected": ["rejected"],
    "cancelled": ["cancelled"],
    "in-progress": ["accepted", "in-progress"],
    "on-hold": ["accepted", "in-progress", "on-hold"],
    "failed": ["accepted", "in-progress", "failed"],
    "completed": ["accepted", "in-progress", "completed"],
    "entered-in-error": ["entered-in-error"],
}
NEEDS_REASON = {"rejected", "cancelled", "on-hold", "failed"}


def change(to: str) -> dict[str, str]:
    """A body the rules accept for `to`: a reason where one is required, an outcome on
    completed."""
    body = {}
    if to in NEEDS_REASON:
        body["reason"] = f"test: {to}"
    if to == "completed":
        body["outcome"] = "got_help"
    return body


async def referral_in(client: TestClient, headers: dict[str, str], status: str) -> int:
    woman = await add_woman(client, phone=next_phone())
    if status == "draft":
        return (await offer(client, headers, woman))["referral"]["id"]
    referral_id = (await offer_and_grant(client, headers, woman))["referral"]["id"]
    for step in ROUTES[status]:
        response = await move(client, headers, referral_id, step, **change(step))
        assert response.status == 200, await response.text()
    return referral_id


@pytest.mark.parametrize("current", STATUSES)
async def test_every_transition_from(
    client: TestClient, api_headers: dict[str, str], current: str
) -> None:
    for to in STATUSES:
        referral_id = await referral_in(client, api_headers, current)
        response = await move(client, api_headers, referral_id, to, **change(to))
        body = await response.json()
        if current == "draft" and to == "requested":
            # Allowed by the lifecycle, but only her consent (grant) sends a referral.
            assert (response.status, body["error"]) == (409, "no_active_consent")
        elif to in ALLOWED[current]:
            assert response.status == 200, (current, to, body)
            assert body["status"] == to
            assert body["history"][-1]["from"] == current
            assert body["history"][-1]["to"] == to
        else:
            assert response.status == 409, (current, to, body)
            assert body["error"] == "invalid_transition"
            assert body["from"] == current
            assert set(body["allowed"]) == ALLOWED[current]
            after = await client.get(f"/api/referrals/{referral_id}", headers=api_headers)
            assert (await after.json())["status"] == current


@pytest.mark.parametrize("to", sorted(NEEDS_REASON))
async def test_a_reason_is_required_for(
    client: TestClient, api_headers: dict[str, str], to: str
) -> None:
    current = {"rejected": "requested", "cancelled": "requested"}.get(to, "in-progress")
    referral_id = await referral_in(client, api_headers, current)
    for reason in (None, "", "   "):
        response = await move(client, api_headers, referral_id, to, reason=reason)
        assert response.status == 422
        body = await response.json()
        assert (body["error"], body["field"]) == ("reason_required", "reason")
    ok = await move(client, api_headers, referral_id, to, reason="  no  beds  this month ")
    assert ok.status == 200
    body = await ok.json()
    assert body["reason"] == "no beds this month"
    assert body["history"][-1]["reason"] == "no beds this month"


async def test_completed_needs_an_outcome_and_logs_it(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    referral_id = await referral_in(client, api_headers, "in-progress")
    missing = await move(client, api_headers, referral_id, "completed")
    assert (missing.status, (await missing.json())["error"]) == (422, "outcome_required")
    unknown = await move(client, api_headers, referral_id, "completed", outcome="fine")
    assert (unknown.status, (await unknown.json())["field"]) == (400, "outcome")
    done = await move(client, api_headers, referral_id, "completed", outcome="couldnt_contact")
    assert done.status == 200
    body = await done.json()
    assert (body["status"], body["outcome"]) == ("completed", "couldnt_contact")
    signals = await (
        await client.get(f"/api/clients/{body['client_id']}/signals", headers=api_headers)
    ).json()
    completed = [s for s in signals if s["type"] == "referral_completed"]
    assert [(s["value"], s["source"]) for s in completed] == [("couldnt_contact", "staff")]


@pytest.mark.parametrize(
    "outcome",
    [
        "got_help",
        "couldnt_contact",
        "no_capacity",
        "not_eligible",
        "no_longer_interested",
        "referred_elsewhere",
    ],
)
async def test_every_outcome_closes_a_referral(
    client: TestClient, api_headers: dict[str, str], outcome: str
) -> None:
    referral_id = await referral_in(client, api_headers, "in-progress")
    response = await move(client, api_headers, referral_id, "completed", outcome=outcome)
    assert (await response.json())["outcome"] == outcome


async def test_an_outcome_only_when_a_referral_closes(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    referral_id = await referral_in(client, api_headers, "requested")
    early = await move(client, api_headers, referral_id, "accepted", outcome="got_help")
    assert (early.status, (await early.json())["field"]) == (400, "outcome")
    rejected = await move(
        client, api_headers, referral_id, "rejected", reason="full", outcome="no_capacity"
    )
    assert (await rejected.json())["outcome"] == "no_capacity"


async def test_every_change_is_a_history_row_with_who_when_from_to_why(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    referral_id = await referral_in(client, api_headers, "requested")
    steps = [
        ("accepted", "staff:cm1", {}),
        ("in-progress", "staff:cm2", {}),
        ("on-hold", "staff:cm2", {"reason": "she is in the hospital"}),
        ("in-progress", "bot", {}),
        ("completed", "staff:cm1", {"outcome": "got_help"}),
    ]
    for to, actor, extra in steps:
        response = await move(client, api_headers, referral_id, to, actor=actor, **extra)
        assert response.status == 200
    detail = await (await client.get(f"/api/referrals/{referral_id}", headers=api_headers)).json()
    assert [
        (h["from"], h["to"], h["actor"], h["reason"], h["outcome"]) for h in detail["history"]
    ] == [
        (None, "draft", "bot", None, None),
        ("draft", "requested", "bot", None, None),
        ("requested", "accepted", "staff:cm1", None, None),
        ("accepted", "in-progress", "staff:cm2", None, None),
        ("in-progress", "on-hold", "staff:cm2", "she is in the hospital", None),
        ("on-hold", "in-progress", "bot", None, None),
        ("in-progress", "completed", "staff:cm1", None, "got_help"),
    ]
    times = [h["at"] for h in detail["history"]]
    assert times == sorted(times)
    # The current reason belongs to the current status: cleared when she is back in progress.
    assert detail["reason"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "finished", "actor": "bot"}, "to"),
        ({"actor": "bot"}, "to"),
        ({"to": "accepted"}, "actor"),
        ({"to": "accepted", "actor": "staff:"}, "actor"),
        ({"to": "accepted", "actor": "provider"}, "actor"),
        ({"to": "rejected", "actor": "bot", "reason": 7}, "reason"),
        ({"to": "rejected", "actor": "bot", "reason": "x" * 501}, "reason"),
    ],
)
async def test_malformed_status_changes_are_refused(
    client: TestClient, api_headers: dict[str, str], body: dict, field: str
) -> None:
    referral_id = await referral_in(client, api_headers, "requested")
    response = await client.post(
        f"/api/referrals/{referral_id}/status", json=body, headers=api_headers
    )
    assert response.status == 400
    answer = await response.json()
    assert (answer["error"], answer["field"]) == ("invalid_field", field)
    after = await (await client.get(f"/api/referrals/{referral_id}", headers=api_headers)).json()
    assert (after["status"], len(after["history"])) == ("requested", 2)


async def test_status_of_an_unknown_referral(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    response = await move(client, api_headers, 987654, "accepted")
    assert (response.status, (await response.json())["error"]) == (404, "unknown_referral")


async def test_no_signal_but_completed_comes_from_staff_moves(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    woman = await add_woman(client, phone=next_phone())
    referral_id = (await offer_and_grant(client, api_headers, woman))["referral"]["id"]
    await move(client, api_headers, referral_id, "accepted")
    await move(client, api_headers, referral_id, "rejected", reason="x")  # not allowed: 409
    assert await signal_types(client, api_headers, woman) == [
        "referral_offered",
        "consent_given",
        "referral_accepted",
    ]

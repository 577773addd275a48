"""Engagement signals through POST /api/signals and GET /api/clients/{id}/signals."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient

from services.engagement.signals import validate_signal
from services.engagement.taxonomy import SIGNAL_TYPES
from services.logs import quiet_chatty_loggers
from tests.services.conftest import add_client

DESIGN_TYPES = {
    "message_in", "checkin_mood", "craving", "milestone", "need_expressed", "barrier_reported",
    "referral_offered", "referral_accepted", "referral_declined", "referral_completed",
    "consent_given", "consent_withdrawn", "appointment_upcoming", "appointment_attended",
    "appointment_missed",
    "provider_rating", "crisis", "human_requested", "opt_out", "opt_in", "pregnancy_loss",
    "return_to_use",
}  # fmt: skip


def test_the_signal_types_are_the_agreed_list() -> None:
    assert SIGNAL_TYPES == DESIGN_TYPES


async def test_a_signal_is_recorded_and_listed(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    response = await client.post(
        "/api/signals",
        json={
            "client_id": client_id,
            "type": "checkin_mood",
            "value": 4,
            "message_sid": "SM" + "a" * 32,
        },
        headers=api_headers,
    )
    assert response.status == 201
    created = await response.json()
    assert isinstance(created["id"], int)
    assert created["client_id"] == client_id
    assert (created["type"], created["value"], created["source"]) == ("checkin_mood", "4", "bot")
    assert created["message_sid"] == "SM" + "a" * 32
    assert datetime.fromisoformat(created["created_at"]).utcoffset() is not None

    listed = await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    assert listed.status == 200
    assert await listed.json() == [created]


async def test_signals_list_newest_first_and_filter_by_type(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    sent = [
        ("need_expressed", "moud_buprenorphine", "bot"),
        ("barrier_reported", "rides", "bot"),
        ("milestone", "30 days", "staff"),
        ("opt_out", None, "gateway"),
    ]
    for signal_type, value, source in sent:
        response = await client.post(
            "/api/signals",
            json={"client_id": client_id, "type": signal_type, "value": value, "source": source},
            headers=api_headers,
        )
        assert response.status == 201
    body = await (await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)).json()
    assert [(s["type"], s["value"], s["source"]) for s in body] == sent[::-1]
    ids = [s["id"] for s in body]
    assert ids == sorted(ids, reverse=True)

    only = await client.get(
        f"/api/clients/{client_id}/signals", params={"type": "milestone"}, headers=api_headers
    )
    assert [s["value"] for s in await only.json()] == ["30 days"]
    limited = await client.get(
        f"/api/clients/{client_id}/signals", params={"limit": 2}, headers=api_headers
    )
    assert [s["type"] for s in await limited.json()] == ["opt_out", "milestone"]


async def test_each_client_sees_only_her_signals(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    other = await add_client(client, 1)
    await client.post(
        "/api/signals", json={"client_id": other, "type": "craving"}, headers=api_headers
    )
    mine = await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    assert await mine.json() == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "feeling_watched"}, "type"),
        ({"type": "CRISIS"}, "type"),
        ({}, "type"),
        ({"type": "craving", "source": "partner"}, "source"),
        ({"type": "barrier_reported", "value": {"text": "x"}}, "value"),
        ({"type": "barrier_reported", "value": "x" * 201}, "value"),
        ({"type": "craving", "message_sid": 12}, "message_sid"),
        ({"type": "craving", "message_sid": "S" * 65}, "message_sid"),
    ],
)
async def test_invalid_signals_are_refused(
    client: TestClient, api_headers: dict[str, str], client_id: str, payload: dict, field: str
) -> None:
    response = await client.post(
        "/api/signals", json={"client_id": client_id, **payload}, headers=api_headers
    )
    assert response.status == 400
    body = await response.json()
    assert (body["error"], body["field"]) == ("invalid_signal", field)
    listed = await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    assert await listed.json() == []


async def test_unknown_client(client: TestClient, api_headers: dict[str, str]) -> None:
    posted = await client.post(
        "/api/signals", json={"client_id": "c_nobody", "type": "craving"}, headers=api_headers
    )
    assert posted.status == 404
    assert (await posted.json())["error"] == "unknown_client"
    no_id = await client.post("/api/signals", json={"type": "craving"}, headers=api_headers)
    assert (no_id.status, (await no_id.json())["error"]) == (404, "unknown_client")
    listed = await client.get("/api/clients/c_nobody/signals", headers=api_headers)
    assert (listed.status, (await listed.json())["error"]) == (404, "unknown_client")


@pytest.mark.parametrize(
    ("params", "field"), [({"type": "nope"}, "type"), ({"limit": "0"}, "limit")]
)
async def test_bad_list_queries(
    client: TestClient, api_headers: dict[str, str], client_id: str, params: dict, field: str
) -> None:
    response = await client.get(
        f"/api/clients/{client_id}/signals", params=params, headers=api_headers
    )
    assert response.status == 400
    assert (await response.json())["field"] == field


async def test_body_must_be_a_json_object(client: TestClient, api_headers: dict[str, str]) -> None:
    for data in ("not json", "[1, 2]"):
        response = await client.post("/api/signals", data=data, headers=api_headers)
        assert response.status == 400
        assert (await response.json())["error"] == "invalid_json"


async def test_signals_need_the_service_token(client: TestClient, client_id: str) -> None:
    posted = await client.post("/api/signals", json={"client_id": client_id, "type": "craving"})
    listed = await client.get(f"/api/clients/{client_id}/signals")
    assert posted.status == listed.status == 401


async def test_signal_values_stay_out_of_the_logs(
    client: TestClient,
    api_headers: dict[str, str],
    client_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet_chatty_loggers()  # as `tandem serve` does
    caplog.set_level(logging.DEBUG)
    await client.post(
        "/api/signals",
        json={"client_id": client_id, "type": "barrier_reported", "value": "my boyfriend"},
        headers=api_headers,
    )
    refused = await client.post(
        "/api/signals",
        json={"client_id": client_id, "type": "need_expressed", "value": "boyfriend's car"},
        headers=api_headers,
    )
    assert refused.status == 422
    assert "boyfriend" not in await refused.text()  # nor echoed back
    await client.post(
        "/api/signals",
        json={"client_id": client_id, "type": "barrier_reported", "value": "rides"},
        headers=api_headers,
    )
    logged = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    assert "boyfriend" not in logged
    assert any(r.getMessage() == "signal_recorded" for r in caplog.records)


def test_values_are_normalised() -> None:
    assert validate_signal("provider_rating", 4).value == "4"
    assert validate_signal("checkin_mood", " 2 ").value == "2"
    assert validate_signal("craving", "   ").value is None
    assert validate_signal("barrier_reported", " rides ").value == "rides"


@pytest.mark.parametrize(
    ("signal_type", "value", "says"),
    [
        ("checkin_mood", 7, "from 1 to 5"),
        ("checkin_mood", "great", "from 1 to 5"),
        ("provider_rating", None, "needs a value"),
        ("provider_rating", 0, "from 1 to 5"),
        ("barrier_reported", "my boyfriend", "rides, childcare, cost, hours, dcf_fear"),
        ("barrier_reported", None, "needs a value"),
        ("need_expressed", "pizza", "moud_buprenorphine"),
        ("appointment_missed", "traffic jam", "sick"),
        ("milestone", "forever", "30 days"),
        ("crisis", "sad", "overdose"),
        ("craving", "strong", "takes no value"),
        ("referral_completed", "great", "got_help"),
    ],
)
async def test_a_value_the_type_does_not_take_is_a_clear_422(
    client: TestClient,
    api_headers: dict[str, str],
    client_id: str,
    signal_type: str,
    value: object,
    says: str,
) -> None:
    response = await client.post(
        "/api/signals",
        json={"client_id": client_id, "type": signal_type, "value": value},
        headers=api_headers,
    )
    assert response.status == 422
    body = await response.json()
    assert (body["error"], body["field"]) == ("invalid_signal_value", "value")
    assert says in body["message"]
    listed = await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    assert await listed.json() == []


@pytest.mark.parametrize(
    ("signal_type", "value", "stored"),
    [
        ("checkin_mood", 5, "5"),
        ("checkin_mood", None, None),
        ("provider_rating", "2", "2"),
        ("barrier_reported", "felt_judged", "felt_judged"),
        ("need_expressed", "moud", "moud"),
        ("need_expressed", "housing", "housing"),
        ("appointment_missed", "childcare", "childcare"),
        ("appointment_missed", None, None),
        ("milestone", "1 year", "1 year"),
        ("crisis", "overdose", "overdose"),
        ("referral_completed", "got_help", "got_help"),
        ("message_in", None, None),
    ],
)
async def test_each_type_takes_its_typed_values(
    client: TestClient,
    api_headers: dict[str, str],
    client_id: str,
    signal_type: str,
    value: object,
    stored: str | None,
) -> None:
    response = await client.post(
        "/api/signals",
        json={"client_id": client_id, "type": signal_type, "value": value},
        headers=api_headers,
    )
    assert response.status == 201
    assert (await response.json())["value"] == stored


async def test_a_retried_post_for_the_same_message_records_nothing_new(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    sid = "SM" + "b" * 32
    body = {"client_id": client_id, "type": "barrier_reported", "value": "rides"}
    first = await client.post(
        "/api/signals", json={**body, "message_sid": sid}, headers=api_headers
    )
    again = await client.post(
        "/api/signals", json={**body, "message_sid": sid}, headers=api_headers
    )
    assert (first.status, again.status) == (201, 200)
    assert (await again.json())["id"] == (await first.json())["id"]
    listed = await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    assert len(await listed.json()) == 1

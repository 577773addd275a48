"""Staff alerts through POST/GET /api/alerts; each alert logs its engagement signal with it."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from services.alerts import alerts as alerts_module
from tests.services.conftest import add_client


async def test_a_crisis_alert_is_open_and_logs_a_crisis_signal(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    response = await client.post(
        "/api/alerts",
        json={
            "client_id": client_id,
            "kind": "crisis",
            "detail": "crisis lexicon: self-harm",
            "message_sid": "SM" + "b" * 32,
        },
        headers=api_headers,
    )
    assert response.status == 201
    alert = await response.json()
    assert isinstance(alert["id"], int)
    assert alert["client_id"] == client_id
    assert (alert["kind"], alert["status"], alert["detail"]) == (
        "crisis",
        "open",
        "crisis lexicon: self-harm",
    )
    assert alert["acknowledged_at"] is None and alert["acknowledged_by"] is None

    signals = await (
        await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    ).json()
    assert [(s["type"], s["source"], s["message_sid"]) for s in signals] == [
        ("crisis", "bot", "SM" + "b" * 32)
    ]


async def test_one_message_is_one_crisis_signal_however_many_alerts_it_raises(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    """The gateway alerts staff at once for a crisis in a flood, and the bot then raises its
    own alert for the same message: two alerts for staff, one crisis in her signals."""
    sid = "SM" + "c" * 32
    for detail, source in (("overdose: crisis text during a flood (gateway)", "gateway"),
                           ("overdose", "bot")):  # fmt: skip
        body = {"client_id": client_id, "kind": "crisis", "detail": detail, "source": source}
        response = await client.post(
            "/api/alerts", json={**body, "message_sid": sid}, headers=api_headers
        )
        assert response.status == 201
    listed = await (await client.get("/api/alerts", headers=api_headers)).json()
    assert len(listed) == 2
    signals = await (
        await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    ).json()
    assert [(s["type"], s["value"], s["message_sid"]) for s in signals] == [
        ("crisis", "overdose", sid)
    ]
    # Her next message in crisis is a crisis of its own.
    await client.post(
        "/api/alerts",
        json={"client_id": client_id, "kind": "crisis", "message_sid": "SM" + "d" * 32},
        headers=api_headers,
    )
    signals = await (
        await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    ).json()
    assert [s["type"] for s in signals] == ["crisis", "crisis"]


async def test_open_alerts_are_listed_newest_first(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    other = await add_client(client, 1)
    for who, kind in ((client_id, "human_requested"), (other, "crisis")):
        response = await client.post(
            "/api/alerts", json={"client_id": who, "kind": kind}, headers=api_headers
        )
        assert response.status == 201
    listed = await client.get("/api/alerts", params={"status": "open"}, headers=api_headers)
    assert listed.status == 200
    body = await listed.json()
    assert [(a["client_id"], a["kind"]) for a in body] == [
        (other, "crisis"),
        (client_id, "human_requested"),
    ]
    assert body[1]["detail"] is None
    everything = await (await client.get("/api/alerts", headers=api_headers)).json()
    assert everything == body
    none_closed = await client.get("/api/alerts", params={"status": "closed"}, headers=api_headers)
    assert await none_closed.json() == []
    human = await client.get(f"/api/clients/{client_id}/signals", headers=api_headers)
    assert [s["type"] for s in await human.json()] == ["human_requested"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "fire"}, "kind"),
        ({}, "kind"),
        ({"kind": "crisis", "detail": 5}, "detail"),
        ({"kind": "crisis", "detail": "x" * 201}, "detail"),
        ({"kind": "crisis", "source": "neighbour"}, "source"),
    ],
)
async def test_invalid_alerts_are_refused(
    client: TestClient, api_headers: dict[str, str], client_id: str, payload: dict, field: str
) -> None:
    response = await client.post(
        "/api/alerts", json={"client_id": client_id, **payload}, headers=api_headers
    )
    assert response.status == 400
    body = await response.json()
    assert (body["error"], body["field"]) == ("invalid_alert", field)
    assert await (await client.get("/api/alerts", headers=api_headers)).json() == []


async def test_unknown_client_and_bad_status(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/alerts", json={"client_id": "c_nobody", "kind": "crisis"}, headers=api_headers
    )
    assert (response.status, (await response.json())["error"]) == (404, "unknown_client")
    listed = await client.get("/api/alerts", params={"status": "done"}, headers=api_headers)
    assert listed.status == 400
    assert (await listed.json())["field"] == "status"


async def test_alert_and_signal_are_one_transaction(
    client: TestClient,
    api_headers: dict[str, str],
    client_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_signal(*_: object, **__: object) -> None:
        raise RuntimeError("signal store down")

    monkeypatch.setattr(alerts_module, "record_signal", broken_signal)
    response = await client.post(
        "/api/alerts", json={"client_id": client_id, "kind": "crisis"}, headers=api_headers
    )
    assert response.status == 500
    assert await (await client.get("/api/alerts", headers=api_headers)).json() == []


async def test_alerts_need_the_service_token(client: TestClient, client_id: str) -> None:
    posted = await client.post("/api/alerts", json={"client_id": client_id, "kind": "crisis"})
    listed = await client.get("/api/alerts")
    assert posted.status == listed.status == 401

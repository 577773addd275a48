"""The profile the bot may set through GET/PATCH /api/clients/{id}, and a pregnancy loss."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from aiohttp.test_utils import TestClient

from services.clients import profile as profile_module
from services.clients.profile import today
from services.logs import quiet_chatty_loggers

EMPTY_PROFILE = {
    "preferred_name": None,
    "stage": None,
    "due_date": None,
    "baby_birth_date": None,
    "stage_messages_stopped": False,
    "language": "en",
}


@dataclass(frozen=True)
class Days:
    """A date given as days from today (today is only known when the test runs)."""

    n: int


def days_from_today(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


async def test_a_new_client_has_an_empty_profile(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    response = await client.get(f"/api/clients/{client_id}", headers=api_headers)
    assert response.status == 200
    assert await response.json() == {"client_id": client_id, **EMPTY_PROFILE}


async def test_onboarding_answers_are_stored(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    due = days_from_today(120)
    response = await client.patch(
        f"/api/clients/{client_id}",
        json={"preferred_name": "  Jess   M ", "stage": "pregnant", "due_date": due},
        headers=api_headers,
    )
    assert response.status == 200
    updated = await response.json()
    assert updated["preferred_name"] == "Jess M"
    assert (updated["stage"], updated["due_date"]) == ("pregnant", due)

    born = days_from_today(-20)
    later = await client.patch(
        f"/api/clients/{client_id}",
        json={"stage": "postpartum", "baby_birth_date": born, "language": "es"},
        headers=api_headers,
    )
    fetched = await (await client.get(f"/api/clients/{client_id}", headers=api_headers)).json()
    assert fetched == await later.json()
    assert fetched == {
        "client_id": client_id,
        "preferred_name": "Jess M",
        "stage": "postpartum",
        "due_date": due,
        "baby_birth_date": born,
        "stage_messages_stopped": False,
        "language": "es",
    }


async def test_fields_can_be_cleared_and_an_empty_patch_changes_nothing(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    url = f"/api/clients/{client_id}"
    await client.patch(
        url, json={"preferred_name": "Ana", "stage": "pregnant"}, headers=api_headers
    )
    cleared = await client.patch(
        url, json={"preferred_name": "   ", "stage": None}, headers=api_headers
    )
    assert (await cleared.json())["preferred_name"] is None
    unchanged = await client.patch(url, json={}, headers=api_headers)
    assert unchanged.status == 200
    assert await unchanged.json() == {"client_id": client_id, **EMPTY_PROFILE}


async def test_a_pregnancy_loss_stops_stage_messages_and_logs_a_signal(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    url = f"/api/clients/{client_id}"
    await client.patch(
        url, json={"stage": "pregnant", "due_date": days_from_today(60)}, headers=api_headers
    )
    response = await client.patch(
        url,
        json={"pregnancy_loss": True, "stage": "postpartum", "message_sid": "SM" + "c" * 32},
        headers=api_headers,
    )
    assert response.status == 200
    body = await response.json()
    assert body["stage"] is None
    assert body["stage_messages_stopped"] is True
    signals = await (await client.get(f"{url}/signals", headers=api_headers)).json()
    assert [(s["type"], s["message_sid"]) for s in signals] == [("pregnancy_loss", "SM" + "c" * 32)]


async def test_no_loss_no_signal(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    url = f"/api/clients/{client_id}"
    response = await client.patch(
        url, json={"pregnancy_loss": False, "stage": "pregnant"}, headers=api_headers
    )
    assert (await response.json())["stage_messages_stopped"] is False
    assert await (await client.get(f"{url}/signals", headers=api_headers)).json() == []


async def test_a_loss_is_all_or_nothing(
    client: TestClient,
    api_headers: dict[str, str],
    client_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_signal(*_: object, **__: object) -> None:
        raise RuntimeError("signal store down")

    url = f"/api/clients/{client_id}"
    await client.patch(url, json={"stage": "pregnant"}, headers=api_headers)
    monkeypatch.setattr(profile_module, "record_signal", broken_signal)
    response = await client.patch(url, json={"pregnancy_loss": True}, headers=api_headers)
    assert response.status == 500
    monkeypatch.undo()
    body = await (await client.get(url, headers=api_headers)).json()
    assert (body["stage"], body["stage_messages_stopped"]) == ("pregnant", False)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"preferred_name": "x" * 61}, "preferred_name"),
        ({"preferred_name": 7}, "preferred_name"),
        ({"preferred_name": "Ana\x00"}, "preferred_name"),
        ({"stage": "trimester 2"}, "stage"),
        ({"language": "fr"}, "language"),
        ({"language": None}, "language"),
        ({"due_date": "next june"}, "due_date"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"due_date": 20260101}, "due_date"),
        ({"due_date": Days(400)}, "due_date"),
        ({"due_date": Days(-800)}, "due_date"),
        ({"baby_birth_date": Days(1)}, "baby_birth_date"),
        ({"baby_birth_date": Days(-800)}, "baby_birth_date"),
        ({"stage_messages_stopped": "yes"}, "stage_messages_stopped"),
        ({"pregnancy_loss": 1}, "pregnancy_loss"),
        ({"phone": "+14135550100"}, "phone"),
        ({"status": "opted_out"}, "status"),
        ({"pregnancy_loss": True, "source": "someone"}, "source"),
    ],
)
async def test_invalid_fields_are_refused_and_nothing_changes(
    client: TestClient, api_headers: dict[str, str], client_id: str, payload: dict, field: str
) -> None:
    payload = {k: days_from_today(v.n) if isinstance(v, Days) else v for k, v in payload.items()}
    url = f"/api/clients/{client_id}"
    response = await client.patch(url, json={"stage": "pregnant", **payload}, headers=api_headers)
    assert response.status == 400
    body = await response.json()
    assert (body["error"], body["field"]) == ("invalid_field", field)
    assert await (await client.get(url, headers=api_headers)).json() == {
        "client_id": client_id,
        **EMPTY_PROFILE,
    }


async def test_date_window_edges(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    url = f"/api/clients/{client_id}"
    for body in (
        {"due_date": days_from_today(365)},
        {"due_date": days_from_today(-700)},
        {"baby_birth_date": days_from_today(0)},
    ):
        response = await client.patch(url, json=body, headers=api_headers)
        assert response.status == 200, await response.text()


async def test_unknown_client(client: TestClient, api_headers: dict[str, str]) -> None:
    for method in ("GET", "PATCH"):
        response = await client.request(
            method, "/api/clients/c_nobody", json={"stage": "pregnant"}, headers=api_headers
        )
        assert (response.status, (await response.json())["error"]) == (404, "unknown_client")


async def test_profile_needs_the_service_token(client: TestClient, client_id: str) -> None:
    got = await client.get(f"/api/clients/{client_id}")
    patched = await client.patch(f"/api/clients/{client_id}", json={"stage": "pregnant"})
    assert got.status == patched.status == 401


async def test_her_name_stays_out_of_the_logs(
    client: TestClient,
    api_headers: dict[str, str],
    client_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet_chatty_loggers()
    caplog.set_level(logging.DEBUG)
    await client.patch(
        f"/api/clients/{client_id}",
        json={"preferred_name": "Marisol", "due_date": days_from_today(30)},
        headers=api_headers,
    )
    logged = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    assert "Marisol" not in logged and days_from_today(30) not in logged
    assert any(r.getMessage() == "profile_updated" for r in caplog.records)


def test_today_is_a_date() -> None:
    assert isinstance(today(), date)

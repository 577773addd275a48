"""One service's details through GET /api/services/{id}, checked against the demo HSDS CSV
files read independently of the importer."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from services.app_keys import SESSIONS
from services.db.tables import Schedule, Service
from services.directory.details import describe_schedule, summary, what_to_bring
from tests.directory_truth import read

BUPE = "f23f5886-c77a-554c-a6f2-28d518abab0a"  # Family Recovery Buprenorphine Program
GROUP = "db862782-40ed-538d-bba1-43d7e107c4fc"  # Moms in Recovery Evening Group, two places
GROUP_WEST = "7c4f2327-92c7-5272-b6b7-4ccd6bc287c0"
METHADONE = "a7bdcc4b-b1bf-5eca-ae98-90349eda5d59"  # two schedules


def row(table: str, **match: str) -> dict[str, str]:
    return next(r for r in read(table) if all(r[k] == v for k, v in match.items()))


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


async def test_details_of_a_service_at_its_location(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    response = await client.get(f"/api/services/{BUPE}", headers=api_headers)
    assert response.status == 200
    body = await response.json()
    service = row("services", id=BUPE)
    link = row("service_at_location", service_id=BUPE)
    address = row("addresses", location_id=link["location_id"])
    assert body["service_id"] == BUPE
    assert body["location_id"] == link["location_id"]
    assert body["name"] == service["name"]
    assert body["organization"] == row("organizations", id=service["organization_id"])["name"]
    assert body["description"] == service["description"]
    assert body["description"].startswith("DEMO DATA (fictional): ")
    assert body["summary"] == service["description"].removeprefix("DEMO DATA (fictional): ")
    assert body["address"] == (
        f"{address['address_1']}, {address['city']}, MA {address['postal_code']}"
    )
    assert body["town"] == address["city"]
    assert digits(body["phone"]) == digits(row("phones", service_id=BUPE)["number"])
    assert body["phone"] == "(413) 555-0120"
    assert body["hours"] == "Mon-Fri 8am-5pm"
    assert body["application_process"] == service["application_process"]
    assert body["eligibility_description"] == service["eligibility_description"]
    assert body["fees_description"] == service["fees_description"]
    assert body["what_to_bring"] == (
        "The first visit takes about two hours; bring ID, your MassHealth card and any "
        "medicines you take."
    )
    assert "moud_buprenorphine" in body["codes"]
    assert len(body["code_labels"]) == len(body["codes"])
    assert body["features"] == sorted(body["features"]) and body["features"]
    assert len(body["feature_labels"]) == len(body["features"])
    assert "takes MassHealth" in body["feature_labels"]


async def test_the_location_she_was_offered_is_the_one_described(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    response = await client.get(
        f"/api/services/{GROUP}", params={"location_id": GROUP_WEST}, headers=api_headers
    )
    body = await response.json()
    assert body["location_id"] == GROUP_WEST
    assert body["town"] == row("addresses", location_id=GROUP_WEST)["city"] == "West Springfield"
    phone = row("phones", service_id=GROUP, location_id=GROUP_WEST)["number"]
    assert digits(body["phone"]) == digits(phone)
    assert body["what_to_bring"] == (
        "Just come in; nothing to bring and no paperwork the first time."
    )


async def test_every_schedule_of_the_service_is_in_the_hours(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    body = await (await client.get(f"/api/services/{METHADONE}", headers=api_headers)).json()
    expected = [s["description"] for s in read("schedules") if s["service_id"] == METHADONE]
    assert body["hours"].split("; ") == expected == ["Mon-Fri 6am-1pm", "Sat 7am-10am"]


async def test_every_demo_service_has_details(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    for service in read("services"):
        response = await client.get(f"/api/services/{service['id']}", headers=api_headers)
        assert response.status == 200, service["name"]
        body = await response.json()
        assert body["address"] and body["phone"] and body["hours"], service["name"]
        hours = {s["description"] for s in read("schedules") if s["service_id"] == service["id"]}
        assert set(body["hours"].split("; ")) == hours


@pytest.mark.parametrize(
    ("path", "params", "error"),
    [
        ("/api/services/no-such-service", {}, "unknown_service"),
        (f"/api/services/{BUPE}", {"location_id": GROUP_WEST}, "unknown_location"),
    ],
)
async def test_unknown_service_or_location(
    client: TestClient, api_headers: dict[str, str], path: str, params: dict, error: str
) -> None:
    response = await client.get(path, params=params, headers=api_headers)
    assert response.status == 404
    assert (await response.json())["error"] == error


@pytest.mark.parametrize("status", ["inactive", "defunct", "temporarily closed"])
async def test_closed_services_are_not_described(
    client: TestClient, api_headers: dict[str, str], status: str
) -> None:
    async with client.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Service).where(Service.id == BUPE).values(status=status))
    response = await client.get(f"/api/services/{BUPE}", headers=api_headers)
    assert response.status == 404
    assert (await response.json())["error"] == "unknown_service"


async def test_details_need_the_service_token(client: TestClient) -> None:
    assert (await client.get(f"/api/services/{BUPE}")).status == 401


def test_hours_text_is_built_from_the_structured_schedule() -> None:
    """Each demo schedule's byday/opens_at/closes_at give back its own human description."""
    for s in read("schedules"):
        built = describe_schedule(
            Schedule(id=s["id"], byday=s["byday"], opens_at=s["opens_at"], closes_at=s["closes_at"])
        )
        assert built == s["description"]


def test_hours_fall_back_to_the_description() -> None:
    schedule = Schedule(id="x", byday=None, description=" By appointment ")
    assert describe_schedule(schedule) == "By appointment"
    assert describe_schedule(Schedule(id="y", byday="SA,SU", opens_at="00:00", closes_at="12:00"))
    assert describe_schedule(Schedule(id="z")) is None


def test_summary_and_what_to_bring() -> None:
    assert summary("DEMO DATA (fictional): A group.") == "A group."
    assert summary("A real service.") == "A real service."
    assert summary(None) is None
    assert what_to_bring("Open daily. Bring a photo ID! Parking is free.") == "Bring a photo ID!"
    assert what_to_bring("Open daily.", "Call first; bring your card.") == (
        "Call first; bring your card."
    )
    assert what_to_bring("Open daily. Brings joy.", None) is None

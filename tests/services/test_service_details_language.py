"""The language of one service's details (GET /api/services/{id}?language=): the days in its
hours, its code labels and its feature labels in Spanish for "es", in English by default;
anything else is a 400. The directory's own texts are the same in both. The Spanish words are
checked against data/taxonomy.yml and the demo schedules read here on their own."""

from __future__ import annotations

import pytest
import yaml
from aiohttp.test_utils import TestClient

from services.db.tables import Schedule
from services.directory.details import describe_schedule
from services.settings import DATA_DIR
from tests.directory_truth import read

RAW = yaml.safe_load((DATA_DIR / "taxonomy.yml").read_text(encoding="utf-8"))
FEATURES_ES = {key: spec["label_es"] for key, spec in RAW["features"].items()}
CODES_ES = {key: spec["label_es"] for key, spec in RAW["codes"].items()}

BUPE = "f23f5886-c77a-554c-a6f2-28d518abab0a"  # Family Recovery Buprenorphine Program
METHADONE = "a7bdcc4b-b1bf-5eca-ae98-90349eda5d59"  # two schedules
# The English day names of the demo schedules' descriptions, in Spanish (no accented a/i/o/u).
DAYS_ES = {
    "Mon": "lun", "Tue": "mar", "Wed": "mie", "Thu": "jue", "Fri": "vie", "Sat": "sab",
    "Sun": "dom",
}  # fmt: skip
# What the language changes; everything else in the answer is the same in both.
COMPOSED = ("hours", "code_labels", "feature_labels")


def in_spanish(hours: str) -> str:
    for en, es in DAYS_ES.items():
        hours = hours.replace(en, es)
    return hours


async def details(
    client: TestClient, headers: dict[str, str], service_id: str, **params: str
) -> dict:
    response = await client.get(f"/api/services/{service_id}", params=params, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_spanish_gives_the_days_and_labels_in_spanish(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    spanish = await details(client, api_headers, BUPE, language="es")
    english = await details(client, api_headers, BUPE)
    assert spanish["hours"] == "lun-vie 8am-5pm" and english["hours"] == "Mon-Fri 8am-5pm"
    assert spanish["feature_labels"] == [FEATURES_ES[f] for f in spanish["features"]]
    assert "acepta MassHealth" in spanish["feature_labels"]
    assert "takes MassHealth" in english["feature_labels"]
    assert spanish["code_labels"] == [CODES_ES[c] for c in spanish["codes"]]
    assert "buprenorfina (Suboxone)" in spanish["code_labels"]
    # The directory's own texts (intake, what to bring, fees...) are as the directory wrote.
    assert {k: v for k, v in spanish.items() if k not in COMPOSED} == {
        k: v for k, v in english.items() if k not in COMPOSED
    }
    assert not set("".join(spanish["feature_labels"] + [spanish["hours"]])) & set("áíóúÁÍÓÚ")


async def test_every_schedule_of_the_service_is_in_the_hours_in_spanish(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    body = await details(client, api_headers, METHADONE, language="es")
    expected = [s["description"] for s in read("schedules") if s["service_id"] == METHADONE]
    assert body["hours"].split("; ") == [in_spanish(e) for e in expected]
    assert body["hours"] == "lun-vie 6am-1pm; sab 7am-10am"


async def test_every_demo_service_has_its_hours_in_spanish(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    for service in read("services"):
        body = await details(client, api_headers, service["id"], language="es")
        hours = {
            in_spanish(s["description"])
            for s in read("schedules")
            if s["service_id"] == service["id"]
        }
        assert set(body["hours"].split("; ")) == hours, service["name"]


async def test_english_is_the_default(client: TestClient, api_headers: dict[str, str]) -> None:
    default = await details(client, api_headers, BUPE)
    assert default == await details(client, api_headers, BUPE, language="en")
    assert default["hours"] == "Mon-Fri 8am-5pm"


@pytest.mark.parametrize("language", ["fr", "ES", "spanish", "", "es,en"])
async def test_any_other_language_is_a_clear_400(
    client: TestClient, api_headers: dict[str, str], language: str
) -> None:
    response = await client.get(
        f"/api/services/{BUPE}", params={"language": language}, headers=api_headers
    )
    assert response.status == 400
    body = await response.json()
    assert (body["error"], body["field"]) == ("invalid_field", "language")
    assert body["message"] == "language must be en or es."


def test_hours_text_in_spanish_is_built_from_the_structured_schedule() -> None:
    """Each demo schedule's byday/opens_at/closes_at, in Spanish: its description's days in
    Spanish; a schedule given only as text stays as written."""
    for s in read("schedules"):
        schedule = Schedule(
            id=s["id"], byday=s["byday"], opens_at=s["opens_at"], closes_at=s["closes_at"]
        )
        assert describe_schedule(schedule, "es") == in_spanish(s["description"])
    weekend = Schedule(id="w", byday="SA,SU", opens_at="09:00", closes_at="12:30")
    assert describe_schedule(weekend, "es") == "sab, dom 9am-12:30pm"
    assert describe_schedule(Schedule(id="t", description="By appointment"), "es") == (
        "By appointment"
    )

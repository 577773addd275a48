"""Directory search and place resolution through POST /api/* (her words in the body, never
in a URL), checked against the demo HSDS CSV files read independently of the importer."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Service
from services.directory.places import PlaceNotFound, resolve_place
from services.directory.search import refresh_search_rows
from services.settings import Settings
from tests.directory_truth import expected_nearest, expected_with


async def test_nearest_buprenorphine_services_to_01105(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/services/search",
        json={"need": "moud_buprenorphine", "near": "01105"},
        headers=api_headers,
    )
    assert response.status == 200
    body = await response.json()
    expected = expected_nearest("moud_buprenorphine", "01105")
    assert [r["name"] for r in body["results"]] == expected[:3]
    assert len(expected) > 3 and body["more"] is True
    # The 25-mile radius is not counted: the search stopped once it knew there was more.
    assert (body["total_exact"], 3 < body["total"] <= len(expected)) == (False, True)
    assert body["place"]["town"] == "Springfield"
    assert body["need"]["label"] == "buprenorphine (Suboxone)"
    first = body["results"][0]
    assert "moud_buprenorphine" in first["codes"]
    assert first["phone"].startswith("(413) 555-01")
    assert first["why"].startswith(f"{first['distance_miles']:.1f} mi away")
    distances = [r["distance_miles"] for r in body["results"]]
    assert distances == sorted(distances)


async def test_pages_continue_where_the_last_stopped(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """Pages of 3 while `more` says so, as the bot asks for them: every service once, in
    order; the last page says there is no more, with the exact total; past it, nothing."""

    async def page(offset: int, **fields: object) -> dict:
        response = await client.post(
            "/api/services/search",
            json={"need": "moud_buprenorphine", "near": "01105", "offset": offset, **fields},
            headers=api_headers,
        )
        assert response.status == 200
        return await response.json()

    for features in ([], ["masshealth"]):
        expected = expected_with("moud_buprenorphine", "01105", features)
        assert len(expected) > 3  # two pages at least
        names, offset = [], 0
        while True:
            body = await page(offset, features=features)
            names += [r["name"] for r in body["results"]]
            if not body["more"]:
                break
            offset += 3
        assert names == expected
        assert (body["total"], body["total_exact"]) == (len(expected), True)
        past = await page(offset + 3, features=features)
        assert (past["results"], past["more"]) == ([], False)


async def test_group_need_and_town_name(client: TestClient, api_headers: dict[str, str]) -> None:
    response = await client.post(
        "/api/services/search",
        json={"need": "moud", "near": "im in holyoke", "limit": 5},
        headers=api_headers,
    )
    body = await response.json()
    assert response.status == 200
    assert set(body["need"]["codes"]) == {"moud_buprenorphine", "moud_methadone", "moud_naltrexone"}
    assert body["place"]["town"] == "Holyoke"
    assert body["results"] and all(
        set(r["codes"]) & set(body["need"]["codes"]) for r in body["results"]
    )


@pytest.mark.parametrize(
    ("fields", "status", "error", "field"),
    [
        ({"need": "unicorns", "near": "01105"}, 400, "unknown_need", "need"),
        ({"near": "01105"}, 400, "invalid_field", "need"),
        ({"need": ["childcare"], "near": "01105"}, 400, "invalid_field", "need"),
        ({"need": "childcare", "near": "atlantis"}, 404, "place_not_found", "near"),
        ({"need": "childcare", "near": ""}, 400, "missing_place", "near"),
        ({"need": "childcare"}, 400, "invalid_field", "near"),
        ({"need": "childcare", "near": 1105}, 400, "invalid_field", "near"),
        ({"need": "childcare", "near": "01105", "limit": "lots"}, 400, "invalid_field", "limit"),
        ({"need": "childcare", "near": "01105", "limit": 2.5}, 400, "invalid_field", "limit"),
        ({"need": "childcare", "near": "01105", "limit": True}, 400, "invalid_field", "limit"),
        ({"need": "childcare", "near": "01105", "offset": -1}, 400, "invalid_field", "offset"),
        ({"need": "childcare", "near": "01105", "offset": 2**63}, 400, "invalid_field", "offset"),
        ({"need": "childcare", "near": "01105", "radius": 5000}, 400, "invalid_field", "radius"),
        ({"need": "childcare", "near": "01105", "radius": "5"}, 400, "invalid_field", "radius"),
        ({"need": "childcare", "near": "01105", "features": "x"}, 400, "invalid_field", "features"),
        ({"need": "childcare", "near": "01105", "features": [1]}, 400, "invalid_field", "features"),
    ],
)
async def test_bad_searches_get_clear_errors(
    client: TestClient,
    api_headers: dict[str, str],
    fields: dict,
    status: int,
    error: str,
    field: str,
) -> None:
    response = await client.post("/api/services/search", json=fields, headers=api_headers)
    assert response.status == status
    body = await response.json()
    assert (body["error"], body["field"]) == (error, field) and body["message"]


@pytest.mark.parametrize("body", ["", "[]", '"01105"', "null", "{", "NaN"])
@pytest.mark.parametrize("path", ["/api/places/resolve", "/api/services/search"])
async def test_a_body_that_is_not_a_json_object_is_400(
    client: TestClient, api_headers: dict[str, str], path: str, body: str
) -> None:
    headers = {**api_headers, "Content-Type": "application/json"}
    response = await client.post(path, data=body, headers=headers)
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_json"


async def test_nan_and_infinity_are_not_numbers(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    headers = {**api_headers, "Content-Type": "application/json"}
    for value in ("NaN", "Infinity", "-Infinity", "1e400"):
        for name in ("radius", "limit", "offset"):
            body = f'{{"need": "childcare", "near": "01105", "{name}": {value}}}'
            response = await client.post("/api/services/search", data=body, headers=headers)
            assert response.status == 400, (name, value)
            assert (await response.json())["field"] == name


async def test_the_old_get_forms_with_her_words_in_the_url_are_gone(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    old = {"need": "moud", "near": "12 Elm St holyoke"}
    search = await client.get("/api/services", params=old, headers=api_headers)
    assert search.status == 404
    resolve = await client.get("/api/places/resolve", params={"q": "holyoke"}, headers=api_headers)
    assert resolve.status == 405


async def test_api_requires_the_service_token(client: TestClient) -> None:
    missing = await client.post("/api/services/search", json={"need": "childcare", "near": "01105"})
    wrong = await client.post(
        "/api/places/resolve", json={"q": "01105"}, headers={"Authorization": "Bearer nope"}
    )
    assert missing.status == wrong.status == 401


async def test_resolve_place_endpoint(client: TestClient, api_headers: dict[str, str]) -> None:
    found = await client.post(
        "/api/places/resolve", json={"q": "springfeild ma"}, headers=api_headers
    )
    assert (await found.json())["town"] == "Springfield"
    missing = await client.post("/api/places/resolve", json={"q": "xyzzy"}, headers=api_headers)
    assert missing.status == 404
    assert (await missing.json())["error"] == "place_not_found"
    for bad in ({}, {"q": None}, {"q": 1105}, {"q": "x" * 1601}):
        response = await client.post("/api/places/resolve", json=bad, headers=api_headers)
        assert response.status == 400
        assert (await response.json())["field"] == "q"
    blank = await client.post("/api/places/resolve", json={"q": "  "}, headers=api_headers)
    assert (await blank.json())["error"] == "missing_place"
    # Her whole reply may be long: the place is read from its start.
    long = await client.post(
        "/api/places/resolve", json={"q": "holyoke " + "x" * 1500}, headers=api_headers
    )
    assert (await long.json())["town"] == "Holyoke"


@pytest.mark.parametrize(
    ("text", "town", "zip_code"),
    [
        ("01105", "Springfield", "01105"),
        ("my zip is 01040", "Holyoke", "01040"),
        ("Chicopee", "Chicopee", None),
        ("im in west springfield", "West Springfield", None),
        ("north hampton", "Northampton", None),
        ("pittsfeild", "Pittsfield", None),
        ("worcester ma", "Worcester", None),
    ],
)
def test_resolve_place_from_what_she_texts(text: str, town: str, zip_code: str | None) -> None:
    place = resolve_place(text)
    assert (place.town, place.zip) == (town, zip_code)
    assert 41 < place.lat < 43 and -74 < place.lon < -69


@pytest.mark.parametrize("text", ["", "   ", "idk", "atlantis", "99999"])
def test_unknown_places_raise(text: str) -> None:
    with pytest.raises(PlaceNotFound):
        resolve_place(text)


async def set_status(settings: Settings, service_id: str, status: str, alert: str | None) -> None:
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(Service).where(Service.id == service_id).values(status=status, alert=alert)
        )
        await refresh_search_rows(session, [service_id])
    await engine.dispose()


async def search_ids(client: TestClient, headers: dict[str, str], **fields: object) -> list[str]:
    body = {"need": "moud_buprenorphine", "near": "01105", "limit": 20, **fields}
    response = await client.post("/api/services/search", json=body, headers=headers)
    assert response.status == 200, await response.text()
    return [r["service_id"] for r in (await response.json())["results"]]


@pytest.mark.parametrize("status", ["temporarily closed", "inactive", "defunct"])
async def test_closed_services_are_never_offered(
    client: TestClient, api_headers: dict[str, str], settings: Settings, status: str
) -> None:
    first = (await search_ids(client, api_headers))[0]
    alert = "Closed this week for a water leak; call the Holyoke clinic instead."
    await set_status(settings, first, status, alert)
    assert first not in await search_ids(client, api_headers)
    assert first not in await search_ids(client, api_headers, radius=100)
    # Not offered in details either: the bot must not send her to a closed door.
    response = await client.get(f"/api/services/{first}", headers=api_headers)
    assert response.status == 404
    assert (await response.json())["error"] == "unknown_service"


async def test_features_narrow_the_search(client: TestClient, api_headers: dict[str, str]) -> None:
    everything = await search_ids(client, api_headers, need="moud")
    response = await client.post(
        "/api/services/search",
        json={"need": "moud", "near": "01105", "limit": 20, "features": ["masshealth", "walk_in"]},
        headers=api_headers,
    )
    body = await response.json()
    assert body["results"] and len(body["results"]) < len(everything)
    assert all({"masshealth", "walk_in"} <= set(r["features"]) for r in body["results"])
    bad = await client.post(
        "/api/services/search",
        json={"need": "moud", "near": "01105", "features": ["hot_tub"]},
        headers=api_headers,
    )
    assert bad.status == 400 and (await bad.json())["error"] == "unknown_feature"


async def test_unknown_service_details_are_404(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    response = await client.get("/api/services/nope", headers=api_headers)
    assert response.status == 404

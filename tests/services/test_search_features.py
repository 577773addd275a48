"""Feature filters on POST /api/services/search: only services having every listed feature, checked
against the demo HSDS CSV files read independently of the importer."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from services.directory.taxonomy import load_taxonomy
from tests.directory_truth import expected_nearest, expected_with, services_offering


async def search(client: TestClient, headers: dict[str, str], **fields: object) -> dict:
    response = await client.post(
        "/api/services/search", json={"limit": 20, **fields}, headers=headers
    )
    assert response.status == 200, await response.text()
    return await response.json()


@pytest.mark.parametrize(
    ("need", "features"),
    [
        ("moud_buprenorphine", ["masshealth"]),
        ("moud_buprenorphine", ["masshealth", "childcare_onsite"]),
        ("peer_recovery", ["evening_hours"]),
        ("prenatal_care", ["spanish", "masshealth"]),
        ("moud_methadone", ["weekend_hours", "transport_help", "walk_in"]),
    ],
)
async def test_only_services_with_every_feature(
    client: TestClient, api_headers: dict[str, str], need: str, features: list[str]
) -> None:
    body = await search(client, api_headers, need=need, near="01105", features=features)
    expected = expected_with(need, "01105", features)
    assert [r["name"] for r in body["results"]] == expected[:20]
    assert body["total"] == len(expected)
    assert body["features"] == features
    assert all(set(features) <= set(r["features"]) for r in body["results"])


async def test_a_feature_narrows_the_same_search(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    wide = await search(client, api_headers, need="moud_buprenorphine", near="01105")
    narrow = await search(
        client, api_headers, need="moud_buprenorphine", near="01105", features=["childcare_onsite"]
    )
    assert 0 < narrow["total"] < wide["total"]
    assert {r["service_id"] for r in narrow["results"]} <= {
        r["service_id"] for r in wide["results"]
    }


async def test_features_are_case_and_space_tolerant_and_empty_means_none(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    messy = await search(
        client,
        api_headers,
        need="moud_buprenorphine",
        near="01105",
        features=[" MassHealth ", "childcare_onsite", "masshealth", ""],
    )
    assert messy["features"] == ["masshealth", "childcare_onsite"]
    assert messy["total"] == len(
        expected_with("moud_buprenorphine", "01105", ["masshealth", "childcare_onsite"])
    )
    empty = await search(client, api_headers, need="moud_buprenorphine", near="01105", features=[])
    assert empty["features"] == []
    assert empty["total"] == len(expected_nearest("moud_buprenorphine", "01105"))


async def test_no_service_has_every_feature(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    every = list(load_taxonomy().features)
    body = await search(client, api_headers, need="moud_methadone", near="01105", features=every)
    assert (body["total"], body["results"]) == (0, [])


@pytest.mark.parametrize("features", [["unicorns"], ["masshealth", "hot_tub"], ["take masshealth"]])
async def test_unknown_features_are_refused(
    client: TestClient, api_headers: dict[str, str], features: list[str]
) -> None:
    response = await client.post(
        "/api/services/search",
        json={"need": "childcare", "near": "01105", "features": features},
        headers=api_headers,
    )
    assert response.status == 400
    body = await response.json()
    assert (body["error"], body["field"]) == ("unknown_feature", "features")
    assert "masshealth" in body["message"]


def test_every_taxonomy_feature_is_used_in_the_demo_directory() -> None:
    for feature in load_taxonomy().features:
        assert services_offering(feature), feature

"""The language of a search's words (POST /api/services/search `language`): the need's label
and each result's "why" in Spanish for "es", in English by default; anything else is a 400.
The Spanish words are checked against data/taxonomy.yml read here on its own."""

from __future__ import annotations

import pytest
import yaml
from aiohttp.test_utils import TestClient

from services.directory.taxonomy import load_taxonomy, parse_taxonomy
from services.settings import DATA_DIR

RAW = yaml.safe_load((DATA_DIR / "taxonomy.yml").read_text(encoding="utf-8"))
FEATURES_ES = {key: spec["label_es"] for key, spec in RAW["features"].items()}
FEATURES_EN = {key: spec["label"] for key, spec in RAW["features"].items()}


async def search(client: TestClient, headers: dict[str, str], **fields: object) -> dict:
    response = await client.post(
        "/api/services/search", json={"near": "01105", **fields}, headers=headers
    )
    assert response.status == 200, await response.text()
    return await response.json()


def why(result: dict, distance: str, labels: dict[str, str], offers: str = "") -> str:
    parts = [distance.format(result["distance_miles"])]
    parts += [offers] if offers else []
    parts += [labels[f] for f in result["features"]]
    return "; ".join(parts[:4])


async def test_spanish_names_the_need_and_why_each_place_fits_in_spanish(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    fields = {"need": "moud_buprenorphine", "features": ["masshealth"], "limit": 5}
    spanish = await search(client, api_headers, **fields, language="es")
    english = await search(client, api_headers, **fields)
    # The same places in the same order: only the words change.
    assert [r["service_id"] for r in spanish["results"]] == [
        r["service_id"] for r in english["results"]
    ]
    assert spanish["results"]
    assert spanish["need"]["label"] == "buprenorfina (Suboxone)"
    assert english["need"]["label"] == "buprenorphine (Suboxone)"
    for es, en in zip(spanish["results"], english["results"], strict=True):
        assert es["why"] == why(es, "a {:.1f} millas", FEATURES_ES)
        assert en["why"] == why(en, "{:.1f} mi away", FEATURES_EN)
        assert "acepta MassHealth" in es["why"] and "takes MassHealth" in en["why"]
    first = spanish["results"][0]["why"]
    assert first.startswith(f"a {spanish['results'][0]['distance_miles']:.1f} millas")


async def test_a_group_says_what_each_place_offers_in_spanish(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    body = await search(client, api_headers, need="moud", limit=10, language="es")
    assert body["need"]["label"] == "medicamento para el TUO (MOUD)"
    names_es = {code: RAW["codes"][code]["label_es"] for code in body["need"]["codes"]}
    for result in body["results"]:
        offers = "ofrece " + ", ".join(names_es[c] for c in result["codes"] if c in names_es)
        assert result["why"] == why(result, "a {:.1f} millas", FEATURES_ES, offers)


async def test_english_is_the_default(client: TestClient, api_headers: dict[str, str]) -> None:
    fields = {"need": "moud", "features": ["walk_in"], "limit": 5}
    default = await search(client, api_headers, **fields)
    assert default == await search(client, api_headers, **fields, language="en")
    assert default == await search(client, api_headers, **fields, language=None)
    assert all(" mi away" in r["why"] and "offers " in r["why"] for r in default["results"])


@pytest.mark.parametrize("language", ["fr", "ES", "spanish", "", 1, True, ["es"], {"es": 1}])
async def test_any_other_language_is_a_clear_400(
    client: TestClient, api_headers: dict[str, str], language: object
) -> None:
    response = await client.post(
        "/api/services/search",
        json={"need": "childcare", "near": "01105", "language": language},
        headers=api_headers,
    )
    assert response.status == 400
    body = await response.json()
    assert (body["error"], body["field"]) == ("invalid_field", "language")
    assert body["message"] == "language must be en or es."


# --- the taxonomy's features: a label in English and one in Spanish ----------------------


def test_every_feature_has_a_spanish_label_without_accented_vowels() -> None:
    taxonomy = load_taxonomy()
    assert set(taxonomy.features) == set(RAW["features"])
    for key in taxonomy.features:
        assert taxonomy.feature_label(key) == FEATURES_EN[key]
        spanish = taxonomy.feature_label(key, "es")
        assert spanish == FEATURES_ES[key] and spanish
        assert not set(spanish) & set("áéíóúÁÉÍÓÚ"), spanish  # as the Spanish SMS texts
    assert taxonomy.feature_label("masshealth", "es") == "acepta MassHealth"
    assert taxonomy.feature_label("hot_tub", "es") is None


def test_the_feature_format_is_read_and_a_bare_string_refused() -> None:
    codes = {"housing": {"label": "housing", "label_es": "vivienda"}}
    taxonomy = parse_taxonomy(
        {
            "codes": codes,
            "features": {
                "masshealth": {"label": "takes MassHealth", "label_es": "acepta MassHealth"},
                "telehealth": {"label": "telehealth"},  # not translated yet: English
            },
        }
    )
    assert taxonomy.features == {"masshealth": "takes MassHealth", "telehealth": "telehealth"}
    assert taxonomy.feature_label("masshealth", "es") == "acepta MassHealth"
    assert taxonomy.feature_label("telehealth", "es") == "telehealth"
    with pytest.raises(ValueError, match="feature masshealth needs a label"):
        parse_taxonomy({"codes": codes, "features": {"masshealth": "takes MassHealth"}})

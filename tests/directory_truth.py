"""The right answer to "what is nearest", computed straight from the demo HSDS CSV files with
their own great-circle formula, independently of the importer and the search code."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import zipcodes

DIRECTORY = Path(__file__).resolve().parents[1] / "data" / "directory"


def read(table: str) -> list[dict[str, str]]:
    with (DIRECTORY / f"{table}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 7917.6 * math.asin(math.sqrt(a))


def services_offering(code: str) -> set[str]:
    terms = {t["id"]: t["code"] for t in read("taxonomy_terms")}
    return {a["link_id"] for a in read("attributes") if terms.get(a["taxonomy_term_id"]) == code}


def expected_nearest(code: str, zip_code: str, radius: float = 25.0) -> list[str]:
    """Names of active services offering `code` within `radius` miles, nearest first."""
    offering = services_offering(code)
    names = {s["id"]: s["name"] for s in read("services") if s["status"] == "active"}
    where = {
        loc["id"]: (float(loc["latitude"]), float(loc["longitude"])) for loc in read("locations")
    }
    centre = zipcodes.matching(zip_code)[0]
    lat, lon = float(centre["lat"]), float(centre["long"])
    best: dict[str, float] = defaultdict(lambda: math.inf)
    for link in read("service_at_location"):
        sid = link["service_id"]
        if sid in offering and sid in names:
            best[sid] = min(best[sid], miles(lat, lon, *where[link["location_id"]]))
    return [names[s] for s, d in sorted(best.items(), key=lambda kv: kv[1]) if d <= radius]


def expected_with(code: str, zip_code: str, features: list[str]) -> list[str]:
    """expected_nearest, of the services having every one of `features`."""
    names = {s["id"]: s["name"] for s in read("services")}
    assert len(set(names.values())) == len(names)  # names identify services in the truth
    having = set(names)
    for feature in features:
        having &= services_offering(feature)
    return [n for n in expected_nearest(code, zip_code) if n in {names[s] for s in having}]

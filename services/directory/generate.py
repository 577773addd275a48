"""Generate a large fictional directory for load tests and demos: `tandem directory generate`.

Every row is invented and says so (names and descriptions carry "DEMO DATA", phones are in the
fictional 555-0120..0199 range). Services are spread over real Massachusetts zip codes from the
`zipcodes` package, weighted toward ordinary town zips rather than PO boxes, and written with
bulk inserts in batches, in one transaction.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from functools import cache

import zipcodes
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.db.tables import (
    Address,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
)
from services.directory.search import refresh_search_rows
from services.directory.taxonomy import Taxonomy, load_taxonomy

BATCH = 5000
ZIP_WEIGHTS = {"STANDARD": 20, "UNIQUE": 1, "PO BOX": 1}
KINDS = (
    ("Family Recovery Center", ("moud_buprenorphine", "peer_recovery", "mental_health")),
    ("Opioid Treatment Program", ("moud_methadone", "mental_health")),
    ("Women's Health Partners", ("prenatal_care", "postpartum_care", "lactation")),
    ("Pediatric Associates", ("pediatric_care", "early_intervention")),
    ("Community Health Center", ("moud_buprenorphine", "prenatal_care", "naloxone")),
    ("Recovery Support Center", ("peer_recovery", "naloxone")),
    ("Family Resource Center", ("childcare", "food_benefits", "plan_of_safe_care")),
    ("Housing Partnership", ("housing",)),
    ("Safe Homes Project", ("ipv_support", "legal_advocacy")),
    ("Counseling Associates", ("mental_health", "moud_naltrexone")),
    ("Home Visiting Program", ("home_visiting", "postpartum_care")),
    ("Ride Connect", ("transportation",)),
)
STREETS = (
    "Main St", "Elm St", "Maple Ave", "Union St", "High St", "Pleasant St", "School St",
    "Church St", "Park Ave", "Water St", "Chestnut St", "Spring St", "Summer St",
)  # fmt: skip
HOURS = (
    ("MO,TU,WE,TH,FR", "08:00", "17:00"),
    ("MO,TU,WE,TH,FR", "06:00", "14:00"),
    ("MO,WE,FR", "09:00", "19:30"),
    ("TU,TH", "17:30", "20:00"),
    ("MO,TU,WE,TH,FR,SA", "07:00", "15:00"),
)


@dataclass(frozen=True)
class Zip:
    code: str
    city: str
    county: str
    lat: float
    lon: float
    area_code: str


@cache
def massachusetts_zips() -> tuple[tuple[Zip, ...], tuple[int, ...]]:
    """Located MA zips and their sampling weights."""
    zips, weights = [], []
    for record in zipcodes.filter_by(state="MA"):
        if not record.get("lat") or not record.get("long"):
            continue
        area = (record.get("area_codes") or ["508"])[0]
        zips.append(
            Zip(
                record["zip_code"],
                record["city"].title(),
                record.get("county") or "",
                float(record["lat"]),
                float(record["long"]),
                area,
            )
        )
        weights.append(ZIP_WEIGHTS.get(record.get("zip_code_type", ""), 1))
    return tuple(zips), tuple(weights)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate_rows(
    count: int, seed: int = 1, taxonomy: Taxonomy | None = None
) -> dict[str, list[dict[str, object]]]:
    """The rows of `count` services (one organization and location each), by table."""
    taxonomy = taxonomy or load_taxonomy()
    rng = random.Random(seed)
    zips, weights = massachusetts_zips()
    picked = rng.choices(zips, weights=weights, k=count)
    features = sorted(taxonomy.features)
    codes = set(taxonomy.labels)
    rows: dict[str, list[dict[str, object]]] = {
        name: []
        for name in ("organizations", "services", "locations", "addresses",
                     "service_at_location", "phones", "schedules", "service_codes",
                     "service_features")
    }  # fmt: skip
    for n, place in enumerate(picked):
        kind, kind_codes = KINDS[rng.randrange(len(KINDS))]
        org_id, service_id, location_id, sal_id = (_uuid(rng) for _ in range(4))
        org_name = f"{place.city} {kind} (DEMO {n + 1})"
        street = f"{rng.randint(1, 999)} {rng.choice(STREETS)}"
        lat = place.lat + rng.uniform(-0.01, 0.01)
        lon = place.lon + rng.uniform(-0.01, 0.01)
        days, opens, closes = rng.choice(HOURS)
        has = set(rng.sample(features, rng.randint(0, 4)))
        has.discard("evening_hours")
        has.discard("weekend_hours")
        if closes > "18:00":
            has.add("evening_hours")
        if "SA" in days or "SU" in days:
            has.add("weekend_hours")
        offers = [c for c in kind_codes if c in codes][: rng.randint(1, len(kind_codes))]
        rows["organizations"].append(
            {"id": org_id, "name": org_name,
             "description": f"DEMO DATA (fictional): a generated {kind.lower()} in {place.city}."}
        )  # fmt: skip
        rows["services"].append(
            {
                "id": service_id,
                "organization_id": org_id,
                "name": f"{place.city} {kind} services (DEMO DATA)",
                "description": "DEMO DATA (fictional): generated for load tests and demos.",
                "status": "active",
                "application_process": "Call the intake line.",
            }
        )
        rows["locations"].append(
            {"id": location_id, "organization_id": org_id, "location_type": "physical",
             "name": f"{org_name} - {street}", "latitude": round(lat, 6),
             "longitude": round(lon, 6),
             "description": f"DEMO DATA (fictional): {street}, {place.city}, MA."}
        )  # fmt: skip
        rows["addresses"].append(
            {"id": _uuid(rng), "location_id": location_id, "address_1": street,
             "city": place.city, "state_province": "MA", "postal_code": place.code,
             "country": "US", "address_type": "physical"}
        )  # fmt: skip
        rows["service_at_location"].append(
            {"id": sal_id, "service_id": service_id, "location_id": location_id}
        )
        rows["phones"].append(
            {"id": _uuid(rng), "service_id": service_id, "location_id": location_id,
             "service_at_location_id": sal_id, "type": "voice",
             "number": f"{place.area_code}-555-01{rng.randint(20, 99)}"}
        )  # fmt: skip
        rows["schedules"].append(
            {"id": _uuid(rng), "service_id": service_id, "freq": "WEEKLY", "byday": days,
             "opens_at": opens, "closes_at": closes}
        )  # fmt: skip
        rows["service_codes"].extend({"service_id": service_id, "code": c} for c in offers)
        rows["service_features"].extend(
            {"service_id": service_id, "feature": f} for f in sorted(has)
        )
    return rows


TABLE_MODELS = {
    "organizations": Organization,
    "services": Service,
    "locations": Location,
    "addresses": Address,
    "service_at_location": ServiceAtLocation,
    "phones": Phone,
    "schedules": Schedule,
    "service_codes": ServiceCode,
    "service_features": ServiceFeature,
}


async def generate_directory(
    engine: AsyncEngine, count: int, *, seed: int = 1, taxonomy: Taxonomy | None = None
) -> int:
    """Insert `count` generated services in one transaction; returns the number made."""
    rows = generate_rows(count, seed, taxonomy)
    async with engine.begin() as connection:
        for table, model in TABLE_MODELS.items():
            data = rows[table]
            statement = insert(model.__table__)  # type: ignore[attr-defined]
            for start in range(0, len(data), BATCH):
                await connection.execute(statement, data[start : start + BATCH])
        await refresh_search_rows(connection)
    return count

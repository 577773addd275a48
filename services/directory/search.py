"""Nearest-first search for services offering a need, around a place.

A bounding box on the indexed latitude/longitude narrows the rows in SQL; exact great-circle
distance orders them. Each service is listed once, at its nearest location.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.db.models import (
    Address,
    Location,
    Phone,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
    ServiceSearch,
)
from services.directory.places import Place
from services.directory.taxonomy import Need, Taxonomy

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LAT = 69.0


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


@dataclass
class ServiceHit:
    service_id: str
    location_id: str
    name: str
    organization_id: str
    town: str
    address: str
    phone: str | None
    distance_miles: float
    codes: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    why: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "service_id": self.service_id,
            "location_id": self.location_id,
            "name": self.name,
            "organization_id": self.organization_id,
            "town": self.town,
            "address": self.address,
            "phone": self.phone,
            "distance_miles": round(self.distance_miles, 1),
            "codes": self.codes,
            "features": self.features,
            "why": self.why,
        }


@dataclass
class SearchResult:
    total: int
    hits: list[ServiceHit]


def format_phone(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return number.strip()


def format_address(address: Address) -> str:
    street = ", ".join(p for p in (address.address_1, address.address_2) if p)
    return f"{street}, {address.city}, {address.state_province} {address.postal_code}"


def explain(hit: ServiceHit, need: Need, taxonomy: Taxonomy) -> str:
    """One short line on why this place fits: distance, then what it offers for her."""
    parts = [f"{hit.distance_miles:.1f} mi away"]
    if len(need.codes) > 1:
        parts.append(
            "offers " + ", ".join(taxonomy.labels[c] for c in hit.codes if c in need.codes)
        )
    parts.extend(label for f in hit.features if (label := taxonomy.feature_label(f)))
    return "; ".join(parts[:4])


async def search_services(
    session: AsyncSession,
    taxonomy: Taxonomy,
    need: Need,
    place: Place,
    *,
    radius_miles: float = 25.0,
    limit: int = 3,
    offset: int = 0,
    features: Sequence[str] = (),
) -> SearchResult:
    """Active services offering any of the need's codes and every one of `features`, within
    `radius_miles`, nearest first. Services not "active" (inactive, defunct, temporarily
    closed) are never offered."""
    dlat = radius_miles / MILES_PER_DEGREE_LAT
    dlon = radius_miles / (MILES_PER_DEGREE_LAT * max(math.cos(math.radians(place.lat)), 0.01))
    # One range scan of the derived search rows (active services only, clustered by code
    # and latitude); features are checked by primary-key lookups.
    conditions = [
        ServiceSearch.code.in_(need.codes),
        ServiceSearch.latitude.between(place.lat - dlat, place.lat + dlat),
        ServiceSearch.longitude.between(place.lon - dlon, place.lon + dlon),
    ]
    conditions.extend(
        exists().where(
            ServiceFeature.service_id == ServiceSearch.service_id,
            ServiceFeature.feature == feature,
        )
        for feature in dict.fromkeys(features)
    )
    rows = await session.execute(
        select(
            ServiceSearch.service_id,
            ServiceSearch.location_id,
            ServiceSearch.latitude,
            ServiceSearch.longitude,
        ).where(*conditions)
    )
    rows = rows.all()
    within, candidates = _within_radius(rows, place, radius_miles, dlat, offset + limit)
    nearest: dict[str, tuple[float, str]] = {}
    for service_id, location_id, lat, lon in rows:
        if service_id in candidates:
            miles = distance_miles(place.lat, place.lon, lat, lon)
            current = nearest.get(service_id)
            if miles <= radius_miles and (current is None or miles < current[0]):
                nearest[service_id] = (miles, location_id)
    names = await _names(session, nearest)
    ordered = sorted(nearest.items(), key=lambda item: (item[1][0], names[item[0]], item[0]))
    page = [
        ServiceHit(
            service_id=service_id,
            location_id=location_id,
            name="",
            organization_id="",
            town="",
            address="",
            phone=None,
            distance_miles=miles,
        )
        for service_id, (miles, location_id) in ordered[offset : offset + limit]
    ]
    await _fill_details(session, page)
    for hit in page:
        hit.why = explain(hit, need, taxonomy)
    return SearchResult(total=within, hits=page)


def _within_radius(
    rows: Sequence[tuple[str, str, float, float]],
    place: Place,
    radius_miles: float,
    dlat: float,
    page_end: int,
) -> tuple[int, set[str]]:
    """How many services are within the radius, and the few that can be on the page.

    A flat-earth distance (a few multiplications) settles most rows; the exact great-circle
    distance is computed only in a thin ring around the radius. It is within a factor
    (1 + eps) of the exact distance here (the scale of a degree of longitude changes by
    less than eps across the box), so a service whose flat distance is more than the
    page_end-th smallest times (1 + eps)^2 is farther than page_end others and cannot be on
    the page.
    """
    lat0, lon0 = place.lat, place.lon
    kx = math.cos(math.radians(lat0))
    slope = math.tan(math.radians(min(abs(lat0) + dlat, 80.0)))
    eps = 0.01 + 2 * slope * math.radians(dlat)
    per_degree = EARTH_RADIUS_MILES * math.pi / 180
    inner2 = (radius_miles / (1 + eps) / per_degree) ** 2
    outer2 = (radius_miles * (1 + eps) / per_degree) ** 2
    best: dict[str, float] = {}
    for service_id, _, lat, lon in rows:
        dy = lat - lat0
        dx = (lon - lon0) * kx
        d2 = dx * dx + dy * dy
        if d2 > outer2 or (d2 > inner2 and distance_miles(lat0, lon0, lat, lon) > radius_miles):
            continue
        current = best.get(service_id)
        if current is None or d2 < current:
            best[service_id] = d2
    if len(best) <= page_end:
        return len(best), set(best)
    kth = heapq.nsmallest(page_end, best.values())[-1]
    cutoff = kth * (1 + eps) ** 4  # squared distances
    return len(best), {service_id for service_id, d2 in best.items() if d2 <= cutoff}


async def _names(session: AsyncSession, nearest: dict[str, tuple[float, str]]) -> dict[str, str]:
    """Service names, to break distance ties the same way on every page."""
    # Ties are rare; only the services tied on distance need their names.
    counts: dict[float, int] = {}
    for miles, _ in nearest.values():
        counts[miles] = counts.get(miles, 0) + 1
    tied = [sid for sid, (miles, _) in nearest.items() if counts[miles] > 1]
    names = dict.fromkeys(nearest, "")
    for start in range(0, len(tied), 500):
        chunk = tied[start : start + 500]
        names.update(
            (
                await session.execute(select(Service.id, Service.name).where(Service.id.in_(chunk)))
            ).all()
        )
    return names


async def _fill_details(session: AsyncSession, hits: list[ServiceHit]) -> None:
    """Codes, features and a phone for the page of hits only."""
    if not hits:
        return
    by_id = {h.service_id: h for h in hits}
    ids = list(by_id)
    for service_id, name, org_id in await session.execute(
        select(Service.id, Service.name, Service.organization_id).where(Service.id.in_(ids))
    ):
        by_id[service_id].name, by_id[service_id].organization_id = name, org_id
    by_location = {h.location_id: h for h in hits}
    for location_id, address_1, city, state, postal_code in await session.execute(
        select(
            Address.location_id,
            Address.address_1,
            Address.city,
            Address.state_province,
            Address.postal_code,
        )
        .where(Address.location_id.in_(list(by_location)))
        .order_by(Address.id.desc())
    ):
        for hit in hits:
            if hit.location_id == location_id:
                hit.town = city
                hit.address = f"{address_1}, {city}, {state} {postal_code}"
    for service_id, code in await session.execute(
        select(ServiceCode.service_id, ServiceCode.code)
        .where(ServiceCode.service_id.in_(ids))
        .order_by(ServiceCode.code)
    ):
        by_id[service_id].codes.append(code)
    for service_id, feature in await session.execute(
        select(ServiceFeature.service_id, ServiceFeature.feature)
        .where(ServiceFeature.service_id.in_(ids))
        .order_by(ServiceFeature.feature)
    ):
        by_id[service_id].features.append(feature)
    phones = await session.execute(
        select(Phone.service_id, Phone.location_id, Phone.number)
        .where(Phone.service_id.in_(ids))
        .order_by(Phone.id)
    )
    for service_id, location_id, number in phones:
        hit = by_id[service_id]
        # Prefer the phone of the location she is offered, else any phone of the service.
        if hit.phone is None or location_id == hit.location_id:
            hit.phone = format_phone(number)


async def refresh_search_rows(
    db: AsyncSession | AsyncConnection, service_ids: Collection[str] | None = None
) -> None:
    """Rebuild the derived search rows (all, or those of some services) from the directory
    tables. Call it in the same transaction as any write to services (status), codes,
    locations or service_at_location, so a closed service is never offered."""
    source = (
        select(
            ServiceCode.code,
            Location.latitude,
            Location.longitude,
            ServiceAtLocation.service_id,
            ServiceAtLocation.location_id,
        )
        .join(ServiceAtLocation, ServiceAtLocation.service_id == ServiceCode.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Service, Service.id == ServiceCode.service_id)
        .where(
            Service.status == "active",
            Location.latitude.is_not(None),
            Location.longitude.is_not(None),
        )
        .distinct()
    )
    columns = ["code", "latitude", "longitude", "service_id", "location_id"]
    if service_ids is None:
        await db.execute(delete(ServiceSearch))
        await db.execute(insert(ServiceSearch).from_select(columns, source))
        return
    ids = sorted(service_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await db.execute(delete(ServiceSearch).where(ServiceSearch.service_id.in_(chunk)))
        await db.execute(
            insert(ServiceSearch).from_select(
                columns, source.where(ServiceAtLocation.service_id.in_(chunk))
            )
        )

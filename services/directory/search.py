"""Nearest-first search for services offering a need, around a place.

A bounding box on the indexed latitude/longitude narrows the rows in SQL; exact great-circle
distance orders them. Each service is listed once, at its nearest location.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.models import (
    Address,
    Location,
    Phone,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
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
    features: tuple[str, ...] = (),
) -> SearchResult:
    """Services offering the need within the radius, nearest first; with `features`, only
    services that have every one of them."""
    dlat = radius_miles / MILES_PER_DEGREE_LAT
    dlon = radius_miles / (MILES_PER_DEGREE_LAT * max(math.cos(math.radians(place.lat)), 0.01))
    offering = select(ServiceCode.service_id).where(ServiceCode.code.in_(need.codes))
    wanted = tuple(dict.fromkeys(features))
    having_all = (
        select(ServiceFeature.service_id)
        .where(ServiceFeature.feature.in_(wanted))
        .group_by(ServiceFeature.service_id)
        .having(func.count(ServiceFeature.feature) == len(wanted))
    )
    rows = await session.execute(
        select(Service.id, Service.name, Service.organization_id, Location, Address)
        .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .outerjoin(Address, Address.location_id == Location.id)
        .where(
            Service.status == "active",
            Service.id.in_(offering),
            *([Service.id.in_(having_all)] if wanted else []),
            and_(Location.latitude.between(place.lat - dlat, place.lat + dlat)),
            and_(Location.longitude.between(place.lon - dlon, place.lon + dlon)),
        )
    )
    nearest: dict[str, ServiceHit] = {}
    for service_id, name, org_id, location, address in rows:
        miles = distance_miles(place.lat, place.lon, location.latitude, location.longitude)
        if miles > radius_miles:
            continue
        current = nearest.get(service_id)
        if current is None or miles < current.distance_miles:
            nearest[service_id] = ServiceHit(
                service_id=service_id,
                location_id=location.id,
                name=name,
                organization_id=org_id,
                town=address.city if address else "",
                address=format_address(address) if address else "",
                phone=None,
                distance_miles=miles,
            )
    ordered = sorted(nearest.values(), key=lambda h: (h.distance_miles, h.name))
    page = ordered[offset : offset + limit]
    await _fill_details(session, page)
    for hit in page:
        hit.why = explain(hit, need, taxonomy)
    return SearchResult(total=len(ordered), hits=page)


async def _fill_details(session: AsyncSession, hits: list[ServiceHit]) -> None:
    """Codes, features and a phone for the page of hits only."""
    if not hits:
        return
    by_id = {h.service_id: h for h in hits}
    ids = list(by_id)
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

"""Nearest-first search for services offering a need, around a place.

The derived search rows are clustered by code and latitude, so the rows of a bounding box are
one range scan. The total is counted in SQL; only the rows of a small disc around the place,
enough for the page, are loaded, and ordered by the exact great-circle distance. Each service
is listed once, at its nearest location.

Each search row carries its service's features and codes (comma-wrapped strings) and its
number of located places, so a search reads nothing but the rows it scans: a feature is a
substring test, a service offering several of the need's codes is seen on the row of the first
of them only, and only services at several places need a DISTINCT to be counted once.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    delete,
    distinct,
    exists,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

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
    `radius_miles`, nearest first (ties by name, then id). Services not "active" (inactive,
    defunct, temporarily closed) are never offered: they have no search rows.

    Two range scans of the derived search rows, whatever the size of the directory: one
    counts the services within the radius (in SQL, nothing loaded), one loads the rows of a
    smaller disc around the place that is sure to hold the page (grown only if it does not).
    """
    page_end = offset + limit
    codes = sorted(set(need.codes))
    wanted = list(dict.fromkeys(features))
    whole = _Disc.around(place, radius_miles)
    total = await _count(session, whole, codes, wanted)
    if total == 0 or limit <= 0:
        return SearchResult(total=total, hits=[])
    # Under an even spread, a disc holding about three pages' worth; widened when the place
    # is in a sparser patch than the average of the whole disc.
    share = RING_FILL * page_end / total
    miles = radius_miles if share >= RING_ALL else radius_miles * math.sqrt(share)
    while True:
        nearest = await _nearest(session, _Disc.around(place, miles), codes, wanted)
        if len(nearest) >= page_end or miles >= radius_miles:
            break
        grow = 2.0 if not nearest else max(1.5, math.sqrt(RING_FILL * page_end / len(nearest)))
        miles = min(radius_miles, miles * grow)
    # Every service within `miles` is here, and at least page_end of them (or all there
    # are): no service outside can come before the end of the page.
    ordered = sorted(
        nearest.values(), key=lambda hit: (hit.distance_miles, hit.name, hit.service_id)
    )
    page = ordered[offset:page_end]
    await _fill_details(session, page)
    for hit in page:
        hit.why = explain(hit, need, taxonomy)
    return SearchResult(total=total, hits=page)


# The first disc searched for the page holds RING_FILL pages' worth under an even spread; when
# that is at least RING_ALL of the whole disc, the whole disc is loaded at once.
RING_FILL = 3.0
RING_ALL = 0.25
DEGREE = math.pi / 180
# Relative margin on the haversine term inside which the arithmetic bounds below defer to
# distance_miles in Python: far wider than rounding (1e-15), far thinner than any real gap.
MARGIN = 1e-9


@dataclass(frozen=True)
class _Disc:
    """The places within `miles` of a centre, as the parameters of the statements below.

    A place is within the radius iff the haversine term
        a = sin²(Δφ/2) + cos φ0 · cos φ · sin²(Δλ/2)
    is at most A = sin²(miles / 2R). SQL brackets 4a with arithmetic only (no trigonometry per
    row, the same on SQLite and PostgreSQL), from x²(1 - x²/3) <= sin²x <= x² and
    |cos φ - (cos φ0 - sin φ0 · Δφ)| <= Δφ²/2 (Taylor). A row whose upper bound is below 4A
    is certainly inside, one whose lower bound is above 4A certainly outside; the bounds are
    within about Δφ²/2 of each other (1e-4 at 50 miles), so the ring in between holds a few
    rows in ten thousand, and those are settled in Python by distance_miles, the one formula.
    The box (the exact extent of the disc in latitude and longitude) is what the index scans.
    It does not wrap the antimeridian: the directory is in Massachusetts.
    """

    lat: float
    lon: float
    miles: float
    params: dict[str, float]

    @classmethod
    def around(cls, place: Place, miles: float) -> _Disc:
        angle = miles / EARTH_RADIUS_MILES
        phi = math.radians(place.lat)
        dlat = math.degrees(angle)
        south, north = max(place.lat - dlat, -90.0), min(place.lat + dlat, 90.0)
        reach = math.sin(min(angle, math.pi / 2)) / max(math.cos(phi), 1e-12)
        if reach >= 1 or north >= 90 or south <= -90:
            west, east = -180.0, 180.0  # a pole is within the disc
        else:
            dlon = math.degrees(math.asin(reach))
            west, east = place.lon - dlon, place.lon + dlon
        pad = 1e-9  # degrees (a tenth of a millimetre): the box is a little larger, never smaller
        four_a = 4 * math.sin(min(angle, math.pi) / 2) ** 2
        cos0 = math.cos(phi)
        return cls(
            place.lat,
            place.lon,
            miles,
            {
                "lat0": place.lat,
                "lon0": place.lon,
                "south": south - pad,
                "north": north + pad,
                "west": west - pad,
                "east": east + pad,
                "cos0": cos0,
                "sin0_deg": math.sin(phi) * DEGREE,
                "cos0_deg2": cos0 * DEGREE * DEGREE,
                # An upper bound of 4a below this: certainly inside; a lower bound above
                # limit_out: certainly outside.
                "limit_in": four_a * (1 - MARGIN),
                "limit_out": four_a * (1 + MARGIN),
            },
        )

    def miles_to(self, lat: float, lon: float) -> float | None:
        """The exact distance to a row, or None when it is outside."""
        miles = distance_miles(self.lat, self.lon, lat, lon)
        return miles if miles <= self.miles else None


def _within(
    rows: Any,
) -> tuple[list[ColumnElement[bool]], ColumnElement[bool], ColumnElement[bool]]:
    """For search rows (the table or an alias): the box, and "certainly inside" and "maybe
    inside" the disc (see _Disc), on the disc's bound parameters."""
    k = DEGREE * DEGREE
    y = rows.latitude - bindparam("lat0")  # Δφ in degrees
    x = rows.longitude - bindparam("lon0")  # Δλ in degrees
    yy, xx = y * y, x * x
    cos_mid = bindparam("cos0") - bindparam("sin0_deg") * y  # cos φ0 - sin φ0 · Δφ
    slack = (k / 2) * yy  # Δφ²/2 bounds the rest of cos φ
    upper = k * yy + bindparam("cos0_deg2") * xx * (cos_mid + slack)
    lower = k * yy * (1 - (k / 12) * yy) + bindparam("cos0_deg2") * xx * (cos_mid - slack) * (
        1 - (k / 12) * xx
    )
    box = [
        rows.latitude.between(bindparam("south"), bindparam("north")),
        rows.longitude.between(bindparam("west"), bindparam("east")),
    ]
    return box, upper <= bindparam("limit_in"), lower <= bindparam("limit_out")


class _position(FunctionElement[int]):
    """Where a string first holds another, from 1; 0 if nowhere (a plain substring, no
    pattern: case-sensitive on SQLite and PostgreSQL alike, unlike LIKE on SQLite)."""

    type = Integer()
    inherit_cache = True


@compiles(_position)
def _position_default(element: _position, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"position({needle} IN {haystack})"


@compiles(_position, "sqlite")
def _position_sqlite(element: _position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_position, "postgresql")
def _position_postgresql(element: _position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _offering(
    rows: Any, codes: int, features: int
) -> tuple[ColumnElement[bool], list[ColumnElement[bool]], ColumnElement[bool] | None]:
    """For search rows: those of the need's codes (what the index scans); their services
    having each of `features` features (a substring test on the row, cheaper than the
    distance arithmetic, so placed before it); and, when the need has several codes, the row
    of the first of them (in the sorted bound codes) that the service offers, so that each
    service is seen at each of its places once."""
    wanted = [
        _position(rows.features, bindparam(f"feature_{n}", type_=Text)) > 0 for n in range(features)
    ]
    first = None
    if codes > 1:
        # The row of code i only if the service offers none of the codes before it.
        first = and_(
            *(
                or_(
                    rows.code != bindparam(f"code_{i}", type_=Text),
                    *(
                        _position(rows.codes, bindparam(f"wrapped_code_{j}", type_=Text)) == 0
                        for j in range(i)
                    ),
                ).self_group()
                for i in range(1, codes)
            )
        )
    return rows.code.in_(bindparam("codes", expanding=True)), wanted, first


# The statements are built once per number of codes and of features, and reused: building and
# keying a statement this size costs more than running it on a small disc.
@cache
def _count_statement(codes: int, features: int) -> CompoundSelect:
    """The services of the rows certainly inside the disc (a plain count of the services at one
    place, a DISTINCT over the others); then the rows of the thin ring of doubt, each with
    whether its service has a row certainly inside (counted already)."""
    code, wanted, first = _offering(ServiceSearch, codes, features)
    box, inside, maybe = _within(ServiceSearch)
    other = aliased(ServiceSearch)
    other_box, other_inside, _ = _within(other)
    # The service's row of the same code at another place: it has one at each of its places.
    counted_already = and_(
        ServiceSearch.locations > 1,
        exists().where(
            other.service_id == ServiceSearch.service_id,
            other.code == ServiceSearch.code,
            *other_box,
            other_inside,
        ),
    )
    once = [] if first is None else [first]
    return union_all(
        select(
            literal_column("'n'"),
            literal_column("NULL"),
            func.count().filter(ServiceSearch.locations == 1)
            + func.count(distinct(ServiceSearch.service_id)).filter(ServiceSearch.locations > 1),
            literal_column("NULL"),
            literal_column("NULL"),
        ).where(code, *box, *wanted, inside, *once),
        select(
            literal_column("'d'"),
            ServiceSearch.service_id,
            case((counted_already, 1), else_=0),
            ServiceSearch.latitude,
            ServiceSearch.longitude,
        ).where(code, *box, *wanted, maybe, not_(inside), *once),
    )


@cache
def _rows_statement(codes: int, features: int) -> Select:
    code, wanted, first = _offering(ServiceSearch, codes, features)
    box, _, maybe = _within(ServiceSearch)
    return (
        select(
            ServiceSearch.service_id,
            ServiceSearch.location_id,
            ServiceSearch.latitude,
            ServiceSearch.longitude,
            Service.name,
            Service.organization_id,
        )
        .join(Service, Service.id == ServiceSearch.service_id)
        .where(code, *box, *wanted, maybe, *([] if first is None else [first]))
    )


def _params(disc: _Disc, codes: list[str], features: list[str]) -> dict[str, object]:
    """The bound parameters; `codes` sorted and without repeats."""
    return {
        **disc.params,
        "codes": codes,
        **{f"code_{i}": code for i, code in enumerate(codes)},
        **{f"wrapped_code_{i}": f",{code}," for i, code in enumerate(codes)},
        **{f"feature_{n}": f",{feature}," for n, feature in enumerate(features)},
    }


async def _count(session: AsyncSession, disc: _Disc, codes: list[str], features: list[str]) -> int:
    """How many services have a row within the disc, counted in SQL but for the ring of doubt,
    settled here."""
    total, ring = 0, set()
    for kind, service_id, number, lat, lon in await session.execute(
        _count_statement(len(codes), len(features)), _params(disc, codes, features)
    ):
        if kind == "n":
            total += number
        elif not number and disc.miles_to(lat, lon) is not None:
            ring.add(service_id)
    return total + len(ring)


async def _nearest(
    session: AsyncSession, disc: _Disc, codes: list[str], features: list[str]
) -> dict[str, ServiceHit]:
    """Every service within the disc, at its nearest location, with its exact distance."""
    rows = await session.execute(
        _rows_statement(len(codes), len(features)), _params(disc, codes, features)
    )
    nearest: dict[str, ServiceHit] = {}
    for service_id, location_id, lat, lon, name, organization_id in rows:
        miles = disc.miles_to(lat, lon)
        if miles is None:
            continue
        hit = nearest.get(service_id)
        if hit is None:
            nearest[service_id] = ServiceHit(
                service_id=service_id,
                location_id=location_id,
                name=name,
                organization_id=organization_id,
                town="",
                address="",
                phone=None,
                distance_miles=miles,
            )
        elif (miles, location_id) < (hit.distance_miles, hit.location_id):
            hit.distance_miles, hit.location_id = miles, location_id
    return nearest


@cache
def _details_statement() -> CompoundSelect:
    """Addresses of the page's locations; codes, features and phones of its services."""
    empty = literal_column("NULL")
    ids = bindparam("ids", expanding=True)
    return union_all(
        select(
            literal_column("'a'"), Address.location_id, Address.id, Address.address_1,
            Address.city, Address.state_province, Address.postal_code,
        ).where(Address.location_id.in_(bindparam("locations", expanding=True))),
        select(
            literal_column("'c'"), ServiceCode.service_id, ServiceCode.code, empty, empty,
            empty, empty,
        ).where(ServiceCode.service_id.in_(ids)),
        select(
            literal_column("'f'"), ServiceFeature.service_id, ServiceFeature.feature, empty,
            empty, empty, empty,
        ).where(ServiceFeature.service_id.in_(ids)),
        select(
            literal_column("'p'"), Phone.service_id, Phone.id, Phone.number, Phone.location_id,
            empty, empty,
        ).where(Phone.service_id.in_(ids)),
    )  # fmt: skip


async def _fill_details(session: AsyncSession, hits: list[ServiceHit]) -> None:
    """Address, codes, features and a phone for the page of hits only, in one statement."""
    if not hits:
        return
    by_id = {h.service_id: h for h in hits}
    params = {"ids": list(by_id), "locations": list({h.location_id for h in hits})}
    addresses: dict[str, tuple[str, str, str]] = {}
    phones = []
    for kind, key, order, v1, v2, v3, v4 in await session.execute(_details_statement(), params):
        if kind == "a":
            # The first address of a location (by id), as a place has one street address.
            if key not in addresses or order < addresses[key][0]:
                addresses[key] = (order, v2, f"{v1}, {v2}, {v3} {v4}")
        elif kind == "c":
            by_id[key].codes.append(order)
        elif kind == "f":
            by_id[key].features.append(order)
        else:
            phones.append((order, key, v2, v1))
    for hit in hits:
        hit.codes.sort()
        hit.features.sort()
        if hit.location_id in addresses:
            _, hit.town, hit.address = addresses[hit.location_id]
    for _, service_id, location_id, number in sorted(phones):
        hit = by_id[service_id]
        # Prefer the phone of the location she is offered, else any phone of the service.
        if hit.phone is None or location_id == hit.location_id:
            hit.phone = format_phone(number)


class _joined(FunctionElement[str]):
    """The values of a column over a group, sorted and comma-wrapped (",a,b,"), or NULL when
    there are none."""

    type = Text()
    inherit_cache = True


@compiles(_joined)
def _joined_default(element: _joined, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite before 3.44 has no ORDER BY inside group_concat: the values come in the order
    # they are read, and each is read here from a primary key (service_id, value), in order.
    return f"(',' || group_concat({compiler.process(element.clauses, **kw)}, ',') || ',')"


@compiles(_joined, "postgresql")
def _joined_postgresql(element: _joined, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"(',' || string_agg({column}, ',' ORDER BY {column}) || ',')"


def _search_source() -> Select:
    """The search rows, as the directory tables have them."""
    features = (
        select(func.coalesce(_joined(ServiceFeature.feature), ""))
        .where(ServiceFeature.service_id == ServiceAtLocation.service_id)
        .scalar_subquery()
    )
    other = aliased(ServiceCode)
    codes = (
        select(func.coalesce(_joined(other.code), ""))
        .where(other.service_id == ServiceAtLocation.service_id)
        .scalar_subquery()
    )
    place, at = aliased(Location), aliased(ServiceAtLocation)
    locations = (
        select(func.count(distinct(at.location_id)))
        .join(place, place.id == at.location_id)
        .where(
            at.service_id == ServiceAtLocation.service_id,
            place.latitude.is_not(None),
            place.longitude.is_not(None),
        )
        .scalar_subquery()
    )
    return (
        select(
            ServiceCode.code,
            Location.latitude,
            Location.longitude,
            ServiceAtLocation.service_id,
            ServiceAtLocation.location_id,
            features,
            codes,
            locations,
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


async def refresh_search_rows(
    db: AsyncSession | AsyncConnection, service_ids: Collection[str] | None = None
) -> None:
    """Rebuild the derived search rows (all, or those of some services) from the directory
    tables. Call it in the same transaction as any write to services (status), codes,
    features, locations or service_at_location, so a closed service is never offered and
    a search filters on the features a service has now."""
    source = _search_source()
    columns = [
        "code", "latitude", "longitude", "service_id", "location_id", "features", "codes",
        "locations",
    ]  # fmt: skip
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

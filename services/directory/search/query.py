"""The search itself: active services offering a need (and features) near a place, nearest
first, in two range scans of the derived search rows whatever the size of the directory."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    case,
    distinct,
    exists,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.db.tables import Service, ServiceSearch
from services.directory.places import Place
from services.directory.search.formatting import explain
from services.directory.search.geo import Disc, within
from services.directory.search.page_details import fill_details
from services.directory.search.results import SearchResult, ServiceHit
from services.directory.search.sql import Kind, TaggedUnion, position
from services.directory.taxonomy import Need, Taxonomy

# The first disc searched for the page holds RING_FILL pages' worth under an even spread; when
# that is at least RING_ALL of the whole disc, the whole disc is loaded at once.
RING_FILL = 3.0
RING_ALL = 0.25


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
    language: str = "en",
) -> SearchResult:
    """Active services offering any of the need's codes and every one of `features`, within
    `radius_miles`, nearest first (ties by name, then id), each with why it fits in
    `language` ("en" or "es"). Services not "active" (inactive, defunct, temporarily
    closed) are never offered: they have no search rows.

    Two range scans of the derived search rows, whatever the size of the directory: one
    counts the services within the radius (in SQL, nothing loaded), one loads the rows of a
    smaller disc around the place that is sure to hold the page (grown only if it does not).
    """
    page_end = offset + limit
    codes = sorted(set(need.codes))
    wanted = list(dict.fromkeys(features))
    whole = Disc.around(place, radius_miles)
    total = await _count(session, whole, codes, wanted)
    if total == 0 or limit <= 0:
        return SearchResult(total=total, hits=[])
    # Under an even spread, a disc holding about three pages' worth; widened when the place
    # is in a sparser patch than the average of the whole disc.
    share = RING_FILL * page_end / total
    miles = radius_miles if share >= RING_ALL else radius_miles * math.sqrt(share)
    while True:
        nearest = await _nearest(session, Disc.around(place, miles), codes, wanted)
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
    await fill_details(session, page)
    for hit in page:
        hit.why = explain(hit, need, taxonomy, language)
    return SearchResult(total=total, hits=page)


def _offering(
    rows: Any, codes: int, features: int
) -> tuple[ColumnElement[bool], list[ColumnElement[bool]], ColumnElement[bool] | None]:
    """For search rows: those of the need's codes (what the index scans); their services
    having each of `features` features (a substring test on the row, cheaper than the
    distance arithmetic, so placed before it); and, when the need has several codes, the row
    of the first of them (in the sorted bound codes) that the service offers, so that each
    service is seen at each of its places once."""
    wanted = [
        position(rows.features, bindparam(f"feature_{n}", type_=Text)) > 0 for n in range(features)
    ]
    first = None
    if codes > 1:
        # The row of code i only if the service offers none of the codes before it.
        first = and_(
            *(
                or_(
                    rows.code != bindparam(f"code_{i}", type_=Text),
                    *(
                        position(rows.codes, bindparam(f"wrapped_code_{j}", type_=Text)) == 0
                        for j in range(i)
                    ),
                ).self_group()
                for i in range(1, codes)
            )
        )
    return rows.code.in_(bindparam("codes", expanding=True)), wanted, first


class Counted(NamedTuple):
    """How many services have a row certainly inside the disc."""

    services: int


class Doubtful(NamedTuple):
    """A row in the thin ring of doubt, and whether its service has a row certainly inside
    (and so is counted already)."""

    service_id: str
    counted_already: int
    latitude: float
    longitude: float


# The statements are built once per number of codes and of features, and reused: building and
# keying a statement this size costs more than running it on a small disc.
@cache
def _count_union(codes: int, features: int) -> TaggedUnion:
    """The services of the rows certainly inside the disc (a plain count of the services at one
    place, a DISTINCT over the others); then the rows of the thin ring of doubt."""
    code, wanted, first = _offering(ServiceSearch, codes, features)
    box, inside, maybe = within(ServiceSearch)
    other = aliased(ServiceSearch)
    other_box, other_inside, _ = within(other)
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
    services = func.count().filter(ServiceSearch.locations == 1) + func.count(
        distinct(ServiceSearch.service_id)
    ).filter(ServiceSearch.locations > 1)
    return TaggedUnion.of(
        {
            "n": Kind(Counted, (None, services, None, None), [code, *box, *wanted, inside, *once]),
            "d": Kind(
                Doubtful,
                (
                    ServiceSearch.service_id,
                    case((counted_already, 1), else_=0),
                    ServiceSearch.latitude,
                    ServiceSearch.longitude,
                ),
                [code, *box, *wanted, maybe, not_(inside), *once],
            ),
        }
    )


@cache
def _rows_statement(codes: int, features: int) -> Select:
    code, wanted, first = _offering(ServiceSearch, codes, features)
    box, _, maybe = within(ServiceSearch)
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


def _params(disc: Disc, codes: list[str], features: list[str]) -> dict[str, object]:
    """The bound parameters; `codes` sorted and without repeats."""
    return {
        **disc.params,
        "codes": codes,
        **{f"code_{i}": code for i, code in enumerate(codes)},
        **{f"wrapped_code_{i}": f",{code}," for i, code in enumerate(codes)},
        **{f"feature_{n}": f",{feature}," for n, feature in enumerate(features)},
    }


async def _count(session: AsyncSession, disc: Disc, codes: list[str], features: list[str]) -> int:
    """How many services have a row within the disc, counted in SQL but for the ring of doubt,
    settled here."""
    union = _count_union(len(codes), len(features))
    total, ring = 0, set()
    rows = await session.execute(union.statement, _params(disc, codes, features))
    for row in union.read(rows):
        if isinstance(row, Counted):
            total += row.services
        elif not row.counted_already and disc.miles_to(row.latitude, row.longitude) is not None:
            ring.add(row.service_id)
    return total + len(ring)


async def _nearest(
    session: AsyncSession, disc: Disc, codes: list[str], features: list[str]
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

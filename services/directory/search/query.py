"""The search itself: active services offering a need (and features) near a place, nearest
first, from a few range scans of the derived search rows: a disc around the place grows until
it holds the page and one more service, so a search reads about as many rows as it shows,
whatever the size of the directory and the radius."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import Service, ServiceSearch
from services.directory.places import Place
from services.directory.search.formatting import explain
from services.directory.search.geo import Disc, within
from services.directory.search.page_details import fill_details
from services.directory.search.results import SearchResult, ServiceHit
from services.directory.search.sql import position
from services.directory.taxonomy import Need, Taxonomy

# The disc grows from FIRST_MILES: after an empty disc EMPTY_GROWTH times wider, after one
# holding too few to the size that the density found says holds FILL times what is wanted
# (at least MIN_GROWTH times wider). A disc of ROW_CAP rows or more per service wanted
# is not loaded (a city centre holds thousands within a mile): the next is sized from
# that density, between the widest disc known to hold too few and it, or is it when the two
# are close. A disc of FLOOR_MILES or less is loaded whatever it holds. Tuned with
# bench/directory_search.py at 500,000 services on PostgreSQL: a step costs about a
# millisecond plus 35 µs per row loaded, so a few rows too many cost less than a step more.
FIRST_MILES = 0.5
EMPTY_GROWTH = 6.0
FILL = 4.0
MIN_GROWTH = 1.5
ROW_CAP = 32
FLOOR_MILES = 0.01


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

    Loads every service of a disc around the place, grown until it holds the page and one
    more (whether there are more) or reaches the radius. The whole radius is not counted
    (at 500,000 services, 50 miles can hold 100,000 rows): `total` is exact only when the
    disc reached the radius, else the services found so far (see SearchResult).
    """
    page_end = offset + max(limit, 0)
    want = page_end + 1  # the page and one more: whether there are more
    cap = ROW_CAP * want
    codes = sorted(set(need.codes))
    wanted = list(dict.fromkeys(features))
    # low: the widest disc known to hold too few services; high: the narrowest known to hold
    # too many rows to load.
    miles, low, high = min(FIRST_MILES, radius_miles), 0.0, math.inf
    while True:
        capped = FLOOR_MILES < miles < high
        disc = Disc.around(place, miles)
        nearest = await _nearest(session, disc, codes, wanted, cap if capped else None)
        if nearest is None:
            # Too many rows: this disc itself (uncapped) when the widest one holding too few is
            # close to it, else a narrower one sized from the density (all below `high`).
            high = miles
            if high >= MIN_GROWTH * low:
                miles = max(FLOOR_MILES, math.sqrt(low * high), high * math.sqrt(FILL / ROW_CAP))
            continue
        if len(nearest) >= want or miles >= radius_miles:
            break
        low = miles
        grow = math.sqrt(FILL * want / len(nearest)) if nearest else EMPTY_GROWTH
        miles = min(radius_miles, miles * max(MIN_GROWTH, grow))
        if low < high < miles:
            miles = high
    # Every service within `miles` is here, and more than page_end of them (or all there
    # are): no service outside can come before the end of the page, and whether one comes
    # after it is known.
    ordered = sorted(
        nearest.values(), key=lambda hit: (hit.distance_miles, hit.name, hit.service_id)
    )
    page = ordered[offset:page_end]
    await fill_details(session, page)
    for hit in page:
        hit.why = explain(hit, need, taxonomy, language)
    return SearchResult(
        total=len(ordered),
        hits=page,
        more=len(ordered) > page_end,
        total_exact=miles >= radius_miles,
    )


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


# Built once per number of codes and of features, and reused: building and keying a statement
# this size costs more than running it on a small disc.
@cache
def _rows_statement(codes: int, features: int, capped: bool) -> Select:
    code, wanted, first = _offering(ServiceSearch, codes, features)
    box, maybe = within(ServiceSearch)
    statement = (
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
    return statement.limit(bindparam("cap")) if capped else statement


def _params(disc: Disc, codes: list[str], features: list[str]) -> dict[str, object]:
    """The bound parameters; `codes` sorted and without repeats."""
    return {
        **disc.params,
        "codes": codes,
        **{f"code_{i}": code for i, code in enumerate(codes)},
        **{f"wrapped_code_{i}": f",{code}," for i, code in enumerate(codes)},
        **{f"feature_{n}": f",{feature}," for n, feature in enumerate(features)},
    }


async def _nearest(
    session: AsyncSession, disc: Disc, codes: list[str], features: list[str], cap: int | None
) -> dict[str, ServiceHit] | None:
    """Every service within the disc, at its nearest location, with its exact distance; None
    when the disc has `cap` rows or more (a row per service and location)."""
    statement = _rows_statement(len(codes), len(features), cap is not None)
    params = _params(disc, codes, features) | ({} if cap is None else {"cap": cap})
    rows = (await session.execute(statement, params)).all()
    if cap is not None and len(rows) >= cap:
        return None
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

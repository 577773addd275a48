"""The fast directory search against brute force, on a generated directory made awkward on
purpose: services at several locations, services offering several codes of one need, services
sharing coordinates (distance ties), closed services, and radii that end exactly on a
service. Same services in the same order on every page, same distances, `more` right, and
`total` exact when said so (else between the page and one more and the true number); paging
on while `more`, as the bot does, lists every service, in dense and sparse areas.

Runs on SQLite always, and on PostgreSQL too when TANDEM_TEST_POSTGRES_URL names a server
(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test): a throwaway database is created
there and dropped after.
"""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bench.directory_search import make_queries
from services.cli.local import alembic_config
from services.db.engine import make_engine, make_sessionmaker
from services.directory.generate import TABLE_MODELS, generate_rows
from services.directory.places import Place, resolve_place
from services.directory.search import distance_miles, refresh_search_rows, search_services
from services.directory.search import query as query_module
from services.directory.taxonomy import Need, load_taxonomy
from tests.postgres import scratch_database

COUNT = 2500
QUERIES = 250


def awkward_rows(seed: int) -> dict[str, list[dict[str, object]]]:
    """Generated rows, then: a second location for some services (near or far), the other
    MOUD codes for some buprenorphine services, shared coordinates, closed services."""
    rng = random.Random(seed)
    rows = generate_rows(COUNT, seed=seed)
    locations = rows["locations"]
    services = rows["services"]
    location_of = {sal["service_id"]: sal["location_id"] for sal in rows["service_at_location"]}
    by_id = {loc["id"]: loc for loc in locations}
    for service in rng.sample(services, 300):
        near = by_id[location_of[service["id"]]]
        other = rng.choice(locations) if rng.random() < 0.5 else near
        location_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        locations.append(
            {**other, "id": location_id, "latitude": other["latitude"] + rng.uniform(-0.05, 0.05),
             "longitude": other["longitude"] + rng.uniform(-0.05, 0.05)}
        )  # fmt: skip
        rows["service_at_location"].append(
            {"id": str(uuid.uuid4()), "service_id": service["id"], "location_id": location_id}
        )
    bup = [c["service_id"] for c in rows["service_codes"] if c["code"] == "moud_buprenorphine"]
    for service_id in rng.sample(bup, 150):
        for code in ("moud_methadone", "moud_naltrexone")[: rng.randint(1, 2)]:
            rows["service_codes"].append({"service_id": service_id, "code": code})
    for a, b in zip(rng.sample(locations, 200), rng.sample(locations, 200), strict=True):
        b["latitude"], b["longitude"] = a["latitude"], a["longitude"]
    for service in rng.sample(services, 250):
        service["status"] = rng.choice(("inactive", "defunct", "temporarily closed"))
    rows["service_codes"] = list(
        {(c["service_id"], c["code"]): c for c in rows["service_codes"]}.values()
    )
    return rows


def brute_force(
    rows: dict[str, list[dict[str, object]]],
) -> tuple[
    dict[str, list[tuple[float, float]]], dict[str, set[str]], dict[str, set[str]], dict[str, str]
]:
    """Per active service: coordinates of its locations, codes, features, and names."""
    names = {s["id"]: s["name"] for s in rows["services"] if s["status"] == "active"}
    where = {loc["id"]: (loc["latitude"], loc["longitude"]) for loc in rows["locations"]}
    points: dict[str, list[tuple[float, float]]] = {}
    for sal in rows["service_at_location"]:
        if sal["service_id"] in names:
            points.setdefault(sal["service_id"], []).append(where[sal["location_id"]])
    codes: dict[str, set[str]] = {}
    for c in rows["service_codes"]:
        codes.setdefault(c["service_id"], set()).add(c["code"])
    features: dict[str, set[str]] = {}
    for f in rows["service_features"]:
        features.setdefault(f["service_id"], set()).add(f["feature"])
    return points, codes, features, names  # type: ignore[return-value]


def expected(truth, need: Need, place: Place, radius: float, wanted) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    points, codes, features, names = truth
    found = []
    for service_id, located in points.items():
        if not codes.get(service_id, set()) & set(need.codes):
            continue
        if not set(wanted) <= features.get(service_id, set()):
            continue
        miles = min(distance_miles(place.lat, place.lon, lat, lon) for lat, lon in located)
        if miles <= radius:
            found.append((miles, names[service_id], service_id))
    return [(service_id, miles) for miles, _, service_id in sorted(found)]


def queries(truth, seed: int) -> Iterator[tuple[Need, Place, float, tuple[str, ...], int, int]]:  # type: ignore[no-untyped-def]
    """The benchmark's mix, with random pages; then radii ending exactly on a service."""
    rng = random.Random(seed)
    taxonomy = load_taxonomy()
    for need, place, radius, wanted in make_queries(taxonomy, QUERIES, seed):
        yield need, place, radius, wanted, rng.choice((0, 0, 1, 3, 10)), rng.choice((1, 3, 5, 20))
    points, codes, _, _ = truth
    moud = taxonomy.resolve("moud")
    for service_id in rng.sample(sorted(points), 40):
        place = resolve_place(rng.choice(("01105", "02118", "01602", "02601", "01301")))
        edge = distance_miles(place.lat, place.lon, *points[service_id][0])
        need = (
            moud
            if codes[service_id] & set(moud.codes)
            else taxonomy.resolve(min(codes[service_id]))
        )
        yield need, place, edge, (), 0, 20
        yield need, place, math.nextafter(edge, 0), (), 0, 20


async def compare(url: str, seed: int) -> int:
    rows = awkward_rows(seed)
    truth = brute_force(rows)
    engine = make_engine(url)
    async with engine.begin() as connection:
        for table, model in TABLE_MODELS.items():
            await connection.execute(insert(model.__table__), rows[table])  # type: ignore[attr-defined]
        await refresh_search_rows(connection)
    taxonomy = load_taxonomy()
    checked = 0
    async with make_sessionmaker(engine)() as session:
        for need, place, radius, wanted, offset, limit in queries(truth, seed):
            full = expected(truth, need, place, radius, wanted)
            result = await search_services(
                session, taxonomy, need, place, radius_miles=radius, limit=limit, offset=offset,
                features=wanted,
            )  # fmt: skip
            query = (need.codes, place.zip, radius, wanted, offset, limit)
            assert result.more == (len(full) > offset + limit), query
            if result.total_exact:
                assert result.total == len(full), query
            else:
                assert offset + limit < result.total <= len(full), query
            page = full[offset : offset + limit]
            assert [h.service_id for h in result.hits] == [s for s, _ in page], query
            assert [h.distance_miles for h in result.hits] == [m for _, m in page], query
            for hit in result.hits:
                assert set(hit.codes) & set(need.codes) and set(wanted) <= set(hit.features)
            checked += 1
        await page_through(session, truth)
    await engine.dispose()
    return checked


async def page_through(session: AsyncSession, truth) -> None:  # type: ignore[no-untyped-def]
    """Pages of 3 while `more`, as the bot asks for them: every service within the radius,
    once, in order, then an empty page; in a dense city and in the sparse Berkshires with a
    feature, where the disc grows over several steps."""
    taxonomy = load_taxonomy()
    discs: list[float] = []
    nearest = query_module._nearest

    async def counted(session, disc, *args):  # type: ignore[no-untyped-def]
        discs.append(disc.miles)
        return await nearest(session, disc, *args)

    searches = [
        (taxonomy.resolve("moud"), resolve_place("02118"), 10.0, ()),
        (taxonomy.resolve("moud"), resolve_place("01201"), 50.0, ("masshealth",)),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(query_module, "_nearest", counted)
        for need, place, radius, wanted in searches:
            full = [s for s, _ in expected(truth, need, place, radius, wanted)]
            assert len(full) > 6, (need.query, place.zip)  # three pages at least
            seen, offset, steps = [], 0, []
            while True:
                discs.clear()
                result = await search_services(
                    session, taxonomy, need, place, radius_miles=radius, limit=3, offset=offset,
                    features=wanted,
                )  # fmt: skip
                steps.append(len(discs))
                seen += [h.service_id for h in result.hits]
                assert result.more == (len(seen) < len(full))
                if not result.more:
                    break
                offset += 3
            assert seen == full
            assert result.total_exact and result.total == len(full)
            past = await search_services(
                session, taxonomy, need, place, radius_miles=radius, limit=3,
                offset=offset + 3, features=wanted,
            )  # fmt: skip
            assert (past.hits, past.more) == ([], False)
            if place.zip == "01201":
                assert steps[0] >= 3, steps  # the first page grew its disc several times


@pytest.mark.parametrize(("seed", "row_cap"), [(7, None), (8, None), (7, 5)])
def test_fast_search_equals_brute_force_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, row_cap: int | None
) -> None:
    if row_cap is not None:  # 5: most discs that hold enough are too dense to load at first
        monkeypatch.setattr(query_module, "ROW_CAP", row_cap)
    url = f"sqlite+aiosqlite:///{tmp_path / 'search.db'}"
    command.upgrade(alembic_config(url), "head")
    assert asyncio.run(compare(url, seed)) == QUERIES + 80


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_database("tandem_search") as url:
        yield url.render_as_string(hide_password=False)


def test_fast_search_equals_brute_force_on_postgresql(postgres_url: str) -> None:
    command.upgrade(alembic_config(postgres_url), "head")
    assert asyncio.run(compare(postgres_url, 7)) == QUERIES + 80

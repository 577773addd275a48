"""Directory search at scale: p50/p99 latency of 1,000 mixed queries (need + zip + radius +
features) through services.directory.search.search_services, against the same queries run as
a naive full scan (every service-location row loaded, distances computed in Python).

    PYTHONPATH=. .venv/bin/python bench/directory_search.py [--count 50000] [--queries 1000]

The generated database is cached under var/bench/ (delete it, or pass --fresh, to rebuild).
Both sides must return the same first page for every query, or the script fails.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path

import zipcodes
from alembic import command
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.cli.local import alembic_config
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Location, Service, ServiceAtLocation, ServiceCode, ServiceFeature
from services.directory.generate import generate_directory
from services.directory.places import Place, resolve_place
from services.directory.search import distance_miles, search_services
from services.directory.taxonomy import Need, Taxonomy, load_taxonomy
from services.settings import REPO_ROOT

TARGET_P99_MS = 20.0
LIMIT = 3


def make_queries(
    taxonomy: Taxonomy, n: int, seed: int
) -> list[tuple[Need, Place, float, tuple[str, ...]]]:
    rng = random.Random(seed)
    zips = [z["zip_code"] for z in zipcodes.filter_by(state="MA", zip_code_type="STANDARD")]
    needs = [*taxonomy.labels, *taxonomy.groups]
    features = sorted(taxonomy.features)
    queries = []
    for _ in range(n):
        need = taxonomy.resolve(rng.choice(needs))
        place = resolve_place(rng.choice(zips))
        radius = rng.choice((5.0, 10.0, 25.0, 25.0, 50.0))
        wanted = tuple(rng.sample(features, rng.choices((0, 1, 2), (50, 35, 15))[0]))
        queries.append((need, place, radius, wanted))
    return queries


async def naive_search(
    session: AsyncSession,
    need: Need,
    place: Place,
    radius: float,
    features: tuple[str, ...],
    limit: int | None = LIMIT,
) -> list[str]:
    """The baseline: scan every service-location row and filter it all in Python."""
    rows = await session.execute(
        select(Service.id, Service.name, Service.status, Location.latitude, Location.longitude)
        .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
    )
    codes: dict[str, set[str]] = {}
    for service_id, code in await session.execute(select(ServiceCode.service_id, ServiceCode.code)):
        codes.setdefault(service_id, set()).add(code)
    has: dict[str, set[str]] = {}
    for service_id, feature in await session.execute(
        select(ServiceFeature.service_id, ServiceFeature.feature)
    ):
        has.setdefault(service_id, set()).add(feature)
    nearest: dict[str, tuple[float, str]] = {}
    for service_id, name, status, lat, lon in rows:
        if status != "active" or lat is None or lon is None:
            continue
        if not codes.get(service_id, set()) & set(need.codes):
            continue
        if not set(features) <= has.get(service_id, set()):
            continue
        miles = distance_miles(place.lat, place.lon, lat, lon)
        if miles <= radius and (service_id not in nearest or miles < nearest[service_id][0]):
            nearest[service_id] = (miles, name)
    ordered = sorted(nearest.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
    return [service_id for service_id, _ in ordered[:limit]]


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def prepare_database(path: Path, count: int, seed: int, fresh: bool) -> str:
    """The cached generated database for (count, seed), built when missing."""
    url = f"sqlite+aiosqlite:///{path}"
    if path.exists() and not fresh:
        command.upgrade(alembic_config(url), "head")
        with closing(sqlite3.connect(path)) as db:
            (have,) = db.execute("SELECT count(*) FROM services").fetchone()
        if have == count:
            print(f"reusing {path} ({count} services)")
            return url
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")

    async def generate() -> None:
        engine = make_engine(url)
        await generate_directory(engine, count, seed=seed)
        await engine.dispose()

    started = time.perf_counter()
    asyncio.run(generate())
    print(f"generated {count} services into {path} in {time.perf_counter() - started:.1f} s")
    return url


async def timed(
    sessions: async_sessionmaker[AsyncSession], queries: list, run
) -> tuple[list[float], list[list[str]]]:
    latencies, pages = [], []
    for query in queries:
        started = time.perf_counter()
        async with sessions() as session:
            page = await run(session, *query)
        latencies.append((time.perf_counter() - started) * 1000)
        pages.append(page)
    return latencies, pages


async def main(args: argparse.Namespace, url: str) -> int:
    taxonomy = load_taxonomy()
    queries = make_queries(taxonomy, args.queries, args.seed)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)

    async def indexed(session, need, place, radius, features) -> list[str]:  # type: ignore[no-untyped-def]
        result = await search_services(
            session, taxonomy, need, place, radius_miles=radius, limit=LIMIT, features=features
        )
        return [hit.service_id for hit in result.hits]

    await timed(sessions, queries[:20], indexed)  # warm up caches and the connection pool
    if args.gc_freeze:
        gc.freeze()  # as a long-running server would after start-up (see --help)
    search_ms, search_pages = await timed(sessions, queries, indexed)
    baseline = queries[: args.baseline_queries]
    naive_ms, naive_pages = await timed(sessions, baseline, naive_search)
    await engine.dispose()

    wrong = sum(a != b for a, b in zip(search_pages, naive_pages, strict=False))
    found = sum(bool(page) for page in search_pages)
    p50, p99 = percentiles(search_ms)
    n50, n99 = percentiles(naive_ms)
    print(f"{args.count} services, {len(queries)} queries ({found} with results), limit {LIMIT}")
    print(f"search_services : p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    print(f"naive full scan : p50 {n50:7.2f} ms   p99 {n99:7.2f} ms   ({len(baseline)} queries)")
    print(f"ratio (naive / search): p50 {n50 / p50:.1f}x   p99 {n99 / p99:.1f}x")
    print(f"target p99 <= {TARGET_P99_MS:g} ms: {'met' if p99 <= TARGET_P99_MS else 'NOT met'}")
    if wrong:
        print(f"MISMATCH: {wrong} queries returned a different first page than the full scan")
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--baseline-queries", type=int, default=1000, help="run the naive scan on the first N"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after warm-up, so collections skip the long-lived start-up objects",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached database")
    args = parser.parse_args()
    path = REPO_ROOT / "var" / "bench" / f"directory-{args.count}-seed{args.seed}.db"
    sys.exit(asyncio.run(main(args, prepare_database(path, args.count, args.seed, args.fresh))))

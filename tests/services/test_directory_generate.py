"""`tandem directory generate`: fictional, marked, spread over real Massachusetts zips, with
valid codes and features, and searchable."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

import zipcodes
from alembic import command
from sqlalchemy import select

from bench.directory_search import make_queries, naive_search
from services.cli import main
from services.cli.local import alembic_config
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Address, Phone, Service, ServiceCode, ServiceFeature
from services.directory.generate import generate_directory, generate_rows
from services.directory.places import resolve_place
from services.directory.search import search_services
from services.directory.taxonomy import load_taxonomy


def test_rows_are_fictional_marked_and_in_massachusetts() -> None:
    taxonomy = load_taxonomy()
    rows = generate_rows(2000, seed=3)
    assert rows == generate_rows(2000, seed=3), "same seed, same directory"
    assert len(rows["services"]) == 2000
    assert all(
        "DEMO DATA" in s["name"] and "DEMO DATA" in s["description"] for s in rows["services"]
    )
    assert all(re.fullmatch(r"\d{3}-555-01[2-9]\d", p["number"]) for p in rows["phones"])
    ma = {z["zip_code"]: z for z in zipcodes.filter_by(state="MA")}
    kinds = Counter(ma[a["postal_code"]]["zip_code_type"] for a in rows["addresses"])
    assert kinds["STANDARD"] > 0.8 * 2000, "weighted toward town zips, not PO boxes"
    assert len({a["postal_code"] for a in rows["addresses"]}) > 300, "spread over the state"
    assert {c["code"] for c in rows["service_codes"]} <= set(taxonomy.labels)
    assert {f["feature"] for f in rows["service_features"]} <= set(taxonomy.features)
    offered = {c["service_id"] for c in rows["service_codes"]}
    assert offered == {s["id"] for s in rows["services"]}, "every service offers something"


def test_generate_command_writes_a_searchable_directory(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    command.upgrade(alembic_config(url), "head")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["directory", "generate", "--count", "3000", "--seed", "5"]) == 0

    async def check() -> None:
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session:
            assert len((await session.scalars(select(Service.id))).all()) == 3000
            assert (await session.scalars(select(ServiceCode.code))).all()
            assert (await session.scalars(select(ServiceFeature.feature))).all()
            assert len((await session.scalars(select(Phone.id))).all()) == 3000
            assert len((await session.scalars(select(Address.id))).all()) == 3000
            taxonomy = load_taxonomy()
            result = await search_services(
                session, taxonomy, taxonomy.resolve("moud"), resolve_place("01105"),
                radius_miles=30, limit=5,
            )  # fmt: skip
            assert result.hits and all("DEMO DATA" in h.name for h in result.hits)
            distances = [h.distance_miles for h in result.hits]
            assert distances == sorted(distances) and distances[-1] <= 30
        await engine.dispose()

    asyncio.run(check())


def test_search_matches_a_full_scan_on_a_generated_directory(tmp_path: Path) -> None:
    """Pages, `more` and exact totals agree with brute force over every row, for many mixed
    queries."""
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    command.upgrade(alembic_config(url), "head")

    async def check() -> None:
        engine = make_engine(url)
        await generate_directory(engine, 4000, seed=11)
        taxonomy = load_taxonomy()
        queries = make_queries(taxonomy, 60, seed=4)
        async with make_sessionmaker(engine)() as session:
            for need, place, radius, features in queries:
                result = await search_services(
                    session, taxonomy, need, place, radius_miles=radius, limit=5,
                    offset=2, features=features,
                )  # fmt: skip
                full = await naive_search(session, need, place, radius, features, limit=None)
                assert [h.service_id for h in result.hits] == full[2:7]
                assert result.more == (len(full) > 7)
                assert result.total == len(full) if result.total_exact else 7 < result.total
        await engine.dispose()

    asyncio.run(check())

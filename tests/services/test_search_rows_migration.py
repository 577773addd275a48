"""Migration 0006 fills the new columns of existing search rows (features, codes, locations)
with exactly what refresh_search_rows writes (0013 then drops the unread count of places), and
both downgrade."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from sqlalchemy import insert, select, text

from services.cli.local import alembic_config
from services.db.engine import make_engine
from services.db.tables import ServiceSearch
from services.directory.generate import TABLE_MODELS
from services.directory.search import refresh_search_rows
from tests.services.test_directory_search_scale import awkward_rows

# The search rows as revision 0005 made them.
ROWS_0005 = """
INSERT INTO service_search (code, latitude, longitude, service_id, location_id)
SELECT DISTINCT c.code, l.latitude, l.longitude, sal.service_id, sal.location_id
FROM service_codes c
JOIN service_at_location sal ON sal.service_id = c.service_id
JOIN locations l ON l.id = sal.location_id
JOIN services s ON s.id = c.service_id
WHERE s.status = 'active' AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL
"""


async def fill_0005(url: str) -> None:
    rows = awkward_rows(11)
    engine = make_engine(url)
    async with engine.begin() as connection:
        for table, model in TABLE_MODELS.items():
            await connection.execute(insert(model.__table__), rows[table])  # type: ignore[attr-defined]
        await connection.execute(text(ROWS_0005))
    await engine.dispose()


async def search_rows(url: str, refresh: bool) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    async with engine.begin() as connection:
        if refresh:
            await refresh_search_rows(connection)
        result = await connection.execute(
            select(ServiceSearch.__table__).order_by(*ServiceSearch.__table__.primary_key)
        )
        rows = [tuple(row) for row in result]
    await engine.dispose()
    return rows


def place_counts(url: str) -> list[int]:
    """Each search row's count of its service's located places (revisions 0006 to 0012)."""

    async def read() -> list[int]:
        engine = make_engine(url)
        async with engine.begin() as connection:
            result = await connection.execute(
                text(
                    "SELECT locations FROM service_search "
                    "ORDER BY code, latitude, longitude, service_id, location_id"
                )
            )
            counts = [row[0] for row in result]
        await engine.dispose()
        return counts

    return asyncio.run(read())


def test_upgrade_fills_search_rows_as_a_refresh_does(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'search.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0005")
    asyncio.run(fill_0005(url))
    command.upgrade(config, "0006")
    counts = place_counts(url)
    assert any(n > 1 for n in counts)
    command.upgrade(config, "head")
    migrated = asyncio.run(search_rows(url, refresh=False))
    refreshed = asyncio.run(search_rows(url, refresh=True))
    assert migrated == refreshed
    assert any(features.count(",") > 2 for *_, features, _ in migrated)
    for *_, features, codes in migrated:
        for wrapped in (features, codes):
            values = sorted(wrapped[1:-1].split(","))
            assert wrapped == "" or wrapped == "," + ",".join(values) + ","
    command.downgrade(config, "0012")
    assert place_counts(url) == counts
    command.downgrade(config, "0005")
    command.upgrade(config, "head")

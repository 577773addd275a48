"""HSDS export: headers in the official order, and import -> export -> import round-trips."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from alembic import command
from sqlalchemy import select

from services.cli import main
from services.cli.local import alembic_config
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import (
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
)
from services.directory.hsds_export import export_hsds_package
from services.directory.hsds_import import import_hsds
from services.directory.taxonomy import load_taxonomy
from services.settings import DATA_DIR, REPO_ROOT

CONFORMANCE = REPO_ROOT.parent / "shared" / "conformance" / "hsds"


def migrated(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    return url


async def snapshot(url: str) -> dict[str, set[tuple]]:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        queries = {
            "services": select(
                Service.id, Service.organization_id, Service.name, Service.status, Service.alert,
                Service.description, Service.eligibility_description,
            ),
            "codes": select(ServiceCode.service_id, ServiceCode.code),
            "features": select(ServiceFeature.service_id, ServiceFeature.feature),
            "locations": select(Location.id, Location.name, Location.latitude, Location.longitude),
            "service_at_location": select(
                ServiceAtLocation.id, ServiceAtLocation.service_id, ServiceAtLocation.location_id
            ),
            "phones": select(Phone.id, Phone.service_id, Phone.location_id, Phone.number),
            "schedules": select(
                Schedule.id, Schedule.service_id, Schedule.byday, Schedule.opens_at,
                Schedule.closes_at,
            ),
        }  # fmt: skip
        result = {name: set((await session.execute(q)).all()) for name, q in queries.items()}
    await engine.dispose()
    return result


async def test_export_round_trips(tmp_path: Path) -> None:
    first = migrated(tmp_path / "a.db")
    engine = make_engine(first)
    async with make_sessionmaker(engine)() as session, session.begin():
        report = await import_hsds(session, DATA_DIR / "directory", load_taxonomy())
    assert not report.problems
    out = tmp_path / "export"
    async with make_sessionmaker(engine)() as session:
        written = await export_hsds_package(session, out, load_taxonomy())
    await engine.dispose()
    assert written["services"] == report.created["services"]

    second = migrated(tmp_path / "b.db")
    engine = make_engine(second)
    async with make_sessionmaker(engine)() as session, session.begin():
        again = await import_hsds(session, out, load_taxonomy())
    await engine.dispose()
    assert again.problems == [] and not again.unmapped_terms
    before, after = await snapshot(first), await snapshot(second)
    for table, rows in before.items():
        assert rows and after[table] == rows, table


def test_export_headers_follow_hsds_order(tmp_path: Path, monkeypatch) -> None:
    url = migrated(tmp_path / "t.db")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["directory", "import", str(DATA_DIR / "directory")]) == 0
    assert main(["directory", "export", str(tmp_path / "out")]) == 0
    for path in sorted((tmp_path / "out").glob("*.csv")):
        with path.open(newline="") as ours, (CONFORMANCE / path.name).open(newline="") as hsds:
            assert next(csv.reader(ours)) == next(csv.reader(hsds)), path.name
    with (tmp_path / "out" / "services.csv").open(newline="") as f:
        assert len(list(csv.DictReader(f))) >= 40, "exported from the database under test"
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} == {
        p.name for p in (tmp_path / "out").glob("*.csv")
    }

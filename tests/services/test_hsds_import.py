"""HSDS 3.0 import: the demo package loads cleanly and idempotently; the outside world's
sample package (shared/conformance/hsds) loads with its invalid values reported."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import func, select

from services.cli import alembic_config
from services.db.engine import make_engine, make_sessionmaker
from services.db.models import Location, Service, ServiceCode
from services.directory.hsds_import import ImportReport, import_hsds_package
from services.directory.taxonomy import load_taxonomy
from services.settings import DATA_DIR, REPO_ROOT

CONFORMANCE = REPO_ROOT.parent / "shared" / "conformance" / "hsds"


async def run_import(db: Path, package: Path) -> ImportReport:
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    async with make_sessionmaker(engine)() as session, session.begin():
        report = await import_hsds_package(session, package, load_taxonomy())
    await engine.dispose()
    return report


async def count(db: Path, model: type) -> int:
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    async with make_sessionmaker(engine)() as session:
        n = await session.scalar(select(func.count()).select_from(model))
    await engine.dispose()
    return int(n or 0)


def migrated(tmp_path: Path) -> Path:
    db = tmp_path / "t.db"
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{db}"), "head")
    return db


async def test_demo_directory_imports_cleanly_and_idempotently(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    first = await run_import(db, DATA_DIR / "directory")
    assert first.problems == [] and not first.unmapped_terms
    assert first.created["services"] >= 40
    services, codes = await count(db, Service), await count(db, ServiceCode)
    second = await run_import(db, DATA_DIR / "directory")
    assert second.updated["services"] == services and second.created["services"] == 0
    assert (await count(db, Service), await count(db, ServiceCode)) == (services, codes)


async def test_conformance_package_reports_invalid_coordinates(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    report = await run_import(db, CONFORMANCE)
    invalid = {(p.table, p.row, p.field) for p in report.problems}
    assert ("locations", 1, "latitude") in invalid
    assert await count(db, Service) == 1
    assert await count(db, Location) == 1, "the location is kept without its bad coordinates"

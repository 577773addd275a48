"""HSDS 3.0 import: the demo package loads cleanly and idempotently; the outside world's
sample package (shared/conformance/hsds) loads with its invalid values reported."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select

from services.cli import main
from services.cli.local import alembic_config
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Location, Schedule, Service, ServiceCode, ServiceFeature
from services.directory.hsds_import import ImportReport, import_hsds_package
from services.directory.taxonomy import load_taxonomy
from services.directory.taxonomy_mapping import load_mapping, parse_mapping
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


def cli_db(tmp_path: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    db = migrated(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    return db


def test_cli_rolls_back_a_run_with_invalid_rows(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    db = cli_db(tmp_path, monkeypatch)
    assert main(["directory", "import", str(CONFORMANCE)]) == 1
    out = capsys.readouterr().out
    assert "invalid: locations row 1, latitude: latitude 100 is outside -90..90" in out
    assert "nothing imported" in out and out.startswith("rolled back")
    assert asyncio.run(count(db, Service)) == 0


def test_cli_partial_keeps_the_valid_rows(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    db = cli_db(tmp_path, monkeypatch)
    assert main(["directory", "import", "--partial", str(CONFORMANCE)]) == 0
    out = capsys.readouterr().out
    assert "locations row 1, longitude" in out and "created: organizations 1" in out
    assert asyncio.run(count(db, Service)) == 1


async def test_service_full_json_goes_through_the_same_validation(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    report = await run_import(db, CONFORMANCE / "service_full.json")
    invalid = {(p.table, p.row, p.field) for p in report.problems}
    assert ("locations", 1, "latitude") in invalid and ("locations", 1, "longitude") in invalid
    assert report.created["services"] == 1 and report.created["phones"] == 1
    assert report.unmapped_terms == {"code"}
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    async with make_sessionmaker(engine)() as session:
        service = await session.get(Service, "ac148810-d857-441c-9679-408f346de14b")
        location = await session.get(Location, "3a19ff88-4620-4d17-9830-ac1d859eb5d5")
        schedule = (await session.scalars(select(Schedule))).one()
    await engine.dispose()
    assert service is not None and service.alert and service.alert.startswith("Following COVID")
    assert location is not None and location.latitude is None and location.longitude is None
    assert (schedule.opens_at, schedule.closes_at) == ("10:00", "18:00")
    again = await run_import(db, CONFORMANCE / "service_full.json")
    assert again.updated["services"] == 1 and again.created["services"] == 0


def service_full(**overrides: object) -> dict:
    record = {
        "id": "svc-1",
        "name": "Outside Clinic",
        "status": "active",
        "organization": {"id": "org-1", "name": "Outside Org"},
        "service_at_locations": [
            {
                "id": "sal-1",
                "location": {"id": "loc-1", "latitude": 42.1, "longitude": -72.6},
            }
        ],
        "attributes": [],
    }
    record.update(overrides)
    return record


def term(code: str, name: str = "", value: str = "") -> dict:
    return {"id": f"a-{code}-{value}", "link_type": "x", "value": value,
            "taxonomy_term": {"id": f"t-{code}", "code": code, "name": name}}  # fmt: skip


async def codes_and_features(db: Path) -> tuple[set[str], set[str]]:
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    async with make_sessionmaker(engine)() as session:
        codes = set(await session.scalars(select(ServiceCode.code)))
        features = set(await session.scalars(select(ServiceFeature.feature)))
    await engine.dispose()
    return codes, features


async def test_mapping_file_maps_outside_terms_and_reports_the_rest(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    path = tmp_path / "one.json"
    attributes = [
        term("RX-1", "Methadone Maintenance"),
        term("x", "medications for  addiction"),
        term("moud_naltrexone"),
        term("PAY", "Payment Accepted", "Medicaid"),
        term("walk_in", value="false"),
        term("ZZ-9", "Astrology"),
    ]
    path.write_text(json.dumps([service_full(attributes=attributes)]))
    report = await run_import(db, path)
    assert report.unmapped_terms == {"ZZ-9"}
    codes, features = await codes_and_features(db)
    assert codes == {"moud_methadone", "moud_buprenorphine", "moud_naltrexone"}
    assert features == {"masshealth"}


def test_mapping_targets_must_exist() -> None:
    taxonomy = load_taxonomy()
    assert parse_mapping({"terms": {"A": "housing"}}, taxonomy).terms == {"a": "housing"}
    with pytest.raises(ValueError, match="no Tandem code"):
        parse_mapping({"terms": {"A": "not_a_code"}}, taxonomy)
    # The shipped file loads, and Tandem's own codes map to themselves.
    mapping = load_mapping(taxonomy)
    assert mapping.resolve(taxonomy, "moud_buprenorphine", "", "") == "moud_buprenorphine"
    assert mapping.resolve(taxonomy, "", "Opioid Treatment Programs", "") == "moud_methadone"


async def test_temporarily_closed_status_and_alert_are_kept(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    path = tmp_path / "closed.json"
    closed = service_full(status="Temporarily Closed", alert="Closed for repairs until May.")
    path.write_text(json.dumps(closed))
    report = await run_import(db, path)
    assert report.problems == []
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    async with make_sessionmaker(engine)() as session:
        service = await session.get(Service, "svc-1")
    await engine.dispose()
    assert service is not None
    assert (service.status, service.alert) == (
        "temporarily closed",
        "Closed for repairs until May.",
    )


async def test_unknown_status_skips_the_service(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(service_full(status="open-ish")))
    report = await run_import(db, path)
    assert ("services", 1, "status") in {(p.table, p.row, p.field) for p in report.problems}
    assert await count(db, Service) == 0

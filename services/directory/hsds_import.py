"""Import an Open Referral HSDS 3.0 tabular data package (CSV files) into the directory.

Idempotent (rows are upserted by id) and all-or-nothing: the caller owns the transaction.
Invalid values are reported by table, row and field, and the row is skipped rather than the
run crashing. Taxonomy terms whose code is a Tandem code or feature become service codes and
features; other terms are reported as unmapped.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.base import Base
from services.db.models import (
    Address,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
)
from services.directory.taxonomy import Taxonomy


@dataclass
class Problem:
    table: str
    row: int  # 1-based data row (the header is row 0)
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.table}.csv row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    unmapped_terms: set[str] = field(default_factory=set)


def _latitude(value: str) -> float:
    number = float(value)
    if not -90 <= number <= 90:
        raise ValueError(f"latitude {value} is outside -90..90")
    return number


def _longitude(value: str) -> float:
    number = float(value)
    if not -180 <= number <= 180:
        raise ValueError(f"longitude {value} is outside -180..180")
    return number


@dataclass(frozen=True)
class TableSpec:
    model: type[Base]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    convert: dict[str, Callable[[str], object]] = field(default_factory=dict)
    # Foreign keys: field -> referenced table (checked against this package and the database).
    references: dict[str, str] = field(default_factory=dict)
    # Fields only meaningful together (a latitude without its longitude is dropped).
    together: tuple[str, ...] = ()


# Order matters: parents before children (foreign keys).
TABLES: dict[str, TableSpec] = {
    "organizations": TableSpec(
        Organization, ("id", "name"), ("alternate_name", "description", "email", "website")
    ),
    "services": TableSpec(
        Service,
        ("id", "organization_id", "name"),
        (
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "application_process",
            "fees_description",
            "eligibility_description",
            "alert",
        ),
        references={"organization_id": "organizations"},
    ),
    "locations": TableSpec(
        Location,
        ("id",),
        ("organization_id", "location_type", "name", "description", "latitude", "longitude"),
        {"latitude": _latitude, "longitude": _longitude},
        references={"organization_id": "organizations"},
        together=("latitude", "longitude"),
    ),
    "addresses": TableSpec(
        Address,
        ("id", "location_id", "address_1", "city", "state_province", "postal_code"),
        ("address_2", "country", "address_type"),
        references={"location_id": "locations"},
    ),
    "service_at_location": TableSpec(
        ServiceAtLocation,
        ("id", "service_id", "location_id"),
        ("description",),
        references={"service_id": "services", "location_id": "locations"},
    ),
    "phones": TableSpec(
        Phone,
        ("id", "number"),
        (
            "service_id",
            "location_id",
            "organization_id",
            "service_at_location_id",
            "extension",
            "type",
            "description",
        ),
        references={
            "service_id": "services",
            "location_id": "locations",
            "organization_id": "organizations",
            "service_at_location_id": "service_at_location",
        },
    ),
    "schedules": TableSpec(
        Schedule,
        ("id",),
        (
            "service_id",
            "location_id",
            "service_at_location_id",
            "freq",
            "byday",
            "opens_at",
            "closes_at",
            "description",
        ),
        references={
            "service_id": "services",
            "location_id": "locations",
            "service_at_location_id": "service_at_location",
        },
    ),
}


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        for number, row in enumerate(csv.DictReader(f), start=1):
            yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k}


async def import_hsds_package(
    session: AsyncSession, package_dir: Path, taxonomy: Taxonomy
) -> ImportReport:
    report = ImportReport()
    known: dict[str, set[str]] = {}
    for table, spec in TABLES.items():
        path = package_dir / f"{table}.csv"
        known[table] = set()
        if not path.exists():
            continue
        for number, row in _rows(path):
            values = _validate(table, spec, number, row, report)
            if values is not None:
                values = await _check_references(
                    session, table, spec, number, values, known, report
                )
            if values is None:
                report.skipped[table] += 1
                continue
            existing = await session.get(spec.model, values["id"])
            await session.merge(spec.model(**values))
            (report.updated if existing else report.created)[table] += 1
            known[table].add(values["id"])
    await _import_attributes(session, package_dir, taxonomy, known["services"], report)
    return report


def _validate(
    table: str, spec: TableSpec, number: int, row: dict[str, str], report: ImportReport
) -> dict[str, object] | None:
    values: dict[str, object] = {}
    ok = True
    for name in spec.required:
        if not row.get(name):
            report.problems.append(Problem(table, number, name, "required value is missing"))
            ok = False
        else:
            values[name] = row[name]
    for name in spec.optional:
        raw = row.get(name, "")
        if not raw:
            continue
        try:
            values[name] = spec.convert[name](raw) if name in spec.convert else raw
        except ValueError as error:
            # An invalid optional value is dropped and reported; the row is kept.
            report.problems.append(Problem(table, number, name, str(error)))
    if spec.together and any(f in values for f in spec.together):
        if not all(f in values for f in spec.together):
            for name in spec.together:
                if values.pop(name, None) is not None:
                    report.problems.append(
                        Problem(
                            table, number, name, "dropped: needs " + " and ".join(spec.together)
                        )
                    )
    return values if ok else None


async def _check_references(
    session: AsyncSession,
    table: str,
    spec: TableSpec,
    number: int,
    values: dict[str, object],
    known: dict[str, set[str]],
    report: ImportReport,
) -> dict[str, object] | None:
    """Drop a dangling optional reference; skip the row for a dangling required one."""
    for name, target in spec.references.items():
        ref = values.get(name)
        if ref is None or ref in known.get(target, ()):
            continue
        if await session.get(TABLES[target].model, ref) is not None:
            continue
        report.problems.append(Problem(table, number, name, f"no {target} row with id {ref}"))
        if name in spec.required:
            return None
        del values[name]
    return values


async def _import_attributes(
    session: AsyncSession,
    package_dir: Path,
    taxonomy: Taxonomy,
    service_ids: set[str],
    report: ImportReport,
) -> None:
    terms_path, attributes_path = package_dir / "taxonomy_terms.csv", package_dir / "attributes.csv"
    if not (terms_path.exists() and attributes_path.exists()):
        return
    term_codes = {row["id"]: row.get("code", "") for _, row in _rows(terms_path)}
    codes: dict[str, set[str]] = {}
    features: dict[str, set[str]] = {}
    for number, row in _rows(attributes_path):
        if row.get("link_entity") != "service":
            continue
        service_id, code = row.get("link_id", ""), term_codes.get(row.get("taxonomy_term_id", ""))
        if service_id not in service_ids:
            report.problems.append(
                Problem("attributes", number, "link_id", "links to a service not in this package")
            )
        elif code in taxonomy.labels:
            codes.setdefault(service_id, set()).add(code)
        elif code in taxonomy.features:
            features.setdefault(service_id, set()).add(code)
        else:
            report.unmapped_terms.add(code or row.get("taxonomy_term_id", ""))
    # Replace each imported service's codes and features with what the package says now.
    for service_id in service_ids:
        await session.execute(delete(ServiceCode).where(ServiceCode.service_id == service_id))
        await session.execute(delete(ServiceFeature).where(ServiceFeature.service_id == service_id))
        session.add_all(
            ServiceCode(service_id=service_id, code=c) for c in codes.get(service_id, ())
        )
        session.add_all(
            ServiceFeature(service_id=service_id, feature=f) for f in features.get(service_id, ())
        )
    report.created["service_codes"] += sum(len(v) for v in codes.values())
    report.created["service_features"] += sum(len(v) for v in features.values())

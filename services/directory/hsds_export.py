"""Export the directory as an Open Referral HSDS 3.0 tabular data package.

Writes datapackage.json and the CSV tables the importer reads, with the HSDS column headers in
the official order (columns Tandem does not keep are left empty). Tandem's codes and features
become taxonomy_terms (taxonomies `tandem` and `tandem-features`) linked by attributes, as in
data/directory/README.md, so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import ServiceCode, ServiceFeature
from services.directory.hsds_tables import TABLES
from services.directory.taxonomy import Taxonomy
from services.settings import DATA_DIR

# HSDS 3.0 column order, as in the specification's example package.
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": (
        "id name alternate_name description email website tax_status tax_id year_incorporated "
        "legal_status logo uri parent_organization_id"
    ).split(),
    "services": (
        "id organization_id program_id name alternate_name description url email status "
        "interpretation_services application_process fees_description wait_time fees "
        "accreditations eligibility_description minimum_age maximum_age assured_date "
        "assurer_email licenses alert last_modified"
    ).split(),
    "locations": (
        "id location_type url organization_id name alternate_name description transportation "
        "latitude longitude external_identifier external_identifier_type"
    ).split(),
    "addresses": (
        "id location_id attention address_1 address_2 city region state_province postal_code "
        "country address_type"
    ).split(),
    "service_at_location": "id service_id location_id description".split(),
    "phones": (
        "id location_id service_id organization_id contact_id service_at_location_id number "
        "extension type description"
    ).split(),
    "schedules": (
        "id service_id location_id service_at_location_id valid_from valid_to dtstart timezone "
        "until count wkst freq interval byday byweekno bymonthday byyearday description "
        "opens_at closes_at schedule_link attending_type notes"
    ).split(),
    "taxonomies": "id name description uri version".split(),
    "taxonomy_terms": (
        "id code name description parent_id taxonomy language taxonomy_id term_uri"
    ).split(),
    "attributes": "id link_id taxonomy_term_id link_type link_entity value".split(),
}
TEMPLATE = DATA_DIR / "directory" / "datapackage.json"
NAMESPACE = uuid.UUID("6f1d7b52-3c1e-4f0e-9d8a-2b7c5e4a9f10")
CODES_TAXONOMY, FEATURES_TAXONOMY = "tandem", "tandem-features"


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write(path: Path, columns: tuple[str, ...] | list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])


def _datapackage() -> dict[str, object]:
    package = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    package.update(
        name="tandem-directory-export",
        title="Tandem service directory (export)",
        description="Tandem's service directory exported as an Open Referral HSDS 3.0 "
        "tabular data package.",
    )
    package.pop("keywords", None)
    return package


async def export_hsds_package(
    session: AsyncSession, out_dir: Path, taxonomy: Taxonomy
) -> Counter[str]:
    """Write the package into out_dir (created if needed); returns rows written per table."""
    tables = await collect_tables(session, taxonomy)
    write_package(out_dir, tables)
    return Counter({table: len(rows) for table, rows in tables.items()})


def write_package(out_dir: Path, tables: dict[str, list[dict[str, object]]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        _write(out_dir / f"{table}.csv", COLUMNS[table], rows)
    (out_dir / "datapackage.json").write_text(
        json.dumps(_datapackage(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


async def collect_tables(
    session: AsyncSession, taxonomy: Taxonomy
) -> dict[str, list[dict[str, object]]]:
    """Every exported table's rows, keyed by HSDS column name."""
    tables: dict[str, list[dict[str, object]]] = {}
    for table, spec in TABLES.items():
        model = spec.model
        columns = [c.key for c in model.__table__.columns]  # type: ignore[attr-defined]
        result = await session.execute(
            select(*(model.__table__.c[c] for c in columns)).order_by(  # type: ignore[attr-defined]
                model.__table__.c.id  # type: ignore[attr-defined]
            )
        )
        tables[table] = [dict(zip(columns, values, strict=True)) for values in result]

    taxonomies = [
        {"id": _id("taxonomy", CODES_TAXONOMY), "name": CODES_TAXONOMY, "version": "1",
         "description": "Tandem service taxonomy (data/taxonomy.yml codes)"},
        {"id": _id("taxonomy", FEATURES_TAXONOMY), "name": FEATURES_TAXONOMY, "version": "1",
         "description": "Tandem service features (data/taxonomy.yml features)"},
    ]  # fmt: skip
    terms: list[dict[str, object]] = []
    for name, entries in (
        (CODES_TAXONOMY, taxonomy.labels),
        (FEATURES_TAXONOMY, taxonomy.features),
    ):
        for code, label in entries.items():
            terms.append(
                {
                    "id": _id("term", code),
                    "code": code,
                    "name": label,
                    "description": label,
                    "taxonomy": name,
                    "language": "en",
                    "taxonomy_id": _id("taxonomy", name),
                }
            )
    attributes: list[dict[str, object]] = []
    for service_id, code in await session.execute(
        select(ServiceCode.service_id, ServiceCode.code).order_by(
            ServiceCode.service_id, ServiceCode.code
        )
    ):
        attributes.append(
            {
                "id": _id("attribute", service_id, code),
                "link_id": service_id,
                "taxonomy_term_id": _id("term", code),
                "link_type": "service_taxonomy",
                "link_entity": "service",
            }
        )
    for service_id, feature in await session.execute(
        select(ServiceFeature.service_id, ServiceFeature.feature).order_by(
            ServiceFeature.service_id, ServiceFeature.feature
        )
    ):
        attributes.append(
            {
                "id": _id("attribute", service_id, feature),
                "link_id": service_id,
                "taxonomy_term_id": _id("term", feature),
                "link_type": "service_feature",
                "link_entity": "service",
                "value": "true",
            }
        )
    tables.update(taxonomies=taxonomies, taxonomy_terms=terms, attributes=attributes)
    return tables

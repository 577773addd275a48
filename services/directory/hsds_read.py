"""HSDS 3.0 data as plain tables (rows of strings, by table name), from either form the
directory imports: a tabular data package (a folder of CSV files with datapackage.json) or the
JSON `service_full` form (one service or a list)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from services.directory.hsds_tables import TABLES, TAXONOMY_TABLES

Row = dict[str, str]
Tables = dict[str, list[Row]]


def _clean(row: dict) -> Row:
    out: Row = {}
    for key, value in row.items():
        if not key or isinstance(value, dict | list):
            continue
        out[key.strip()] = "" if value is None else str(value).strip()
    return out


def read_package(package_dir: Path) -> Tables:
    """The CSV tables of a tabular data package that the importer reads."""
    tables: Tables = {}
    for table in (*TABLES, *TAXONOMY_TABLES):
        path = package_dir / f"{table}.csv"
        if path.exists():
            with path.open(newline="", encoding="utf-8-sig") as f:
                tables[table] = [_clean(row) for row in csv.DictReader(f)]
    return tables


def read_service_full(path: Path) -> Tables:
    """HSDS `service_full` JSON (one object or a list of them) -> the same tables as CSV.

    A record that appears several times (the sample repeats one phone under the service, its
    locations and contacts) is kept once, where it is first met.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    services = data if isinstance(data, list) else [data]
    tables: Tables = {name: [] for name in (*TABLES, *TAXONOMY_TABLES)}
    seen: dict[str, set[str]] = {name: set() for name in tables}

    def add(table: str, record: object, **links: str) -> Row | None:
        if not isinstance(record, dict):
            return None
        row = _clean(record)
        for key, value in links.items():
            if value and not row.get(key):
                row[key] = value
        if row.get("id") and row["id"] in seen[table]:
            return None
        seen[table].add(row.get("id", ""))
        tables[table].append(row)
        return row

    def many(items: object) -> Iterable[object]:
        return items if isinstance(items, list) else []

    for service in services:
        if not isinstance(service, dict):
            continue
        org = service.get("organization")
        org_id = str(org.get("id", "")) if isinstance(org, dict) else ""
        add("organizations", org)
        service_row = add("services", service, organization_id=org_id)
        service_id = service_row.get("id", "") if service_row else str(service.get("id", ""))
        for phone in many(service.get("phones")):
            add("phones", phone, service_id=service_id)
        for schedule in many(service.get("schedules")):
            add("schedules", schedule, service_id=service_id)
        for sal in many(service.get("service_at_locations")):
            if not isinstance(sal, dict):
                continue
            location = sal.get("location")
            location_id = str(location.get("id", "")) if isinstance(location, dict) else ""
            add("locations", location, organization_id=org_id)
            if isinstance(location, dict):
                for address in many(location.get("addresses")):
                    add("addresses", address, location_id=location_id)
            sal_row = add(
                "service_at_location", sal, service_id=service_id, location_id=location_id
            )
            sal_id = sal_row.get("id", "") if sal_row else ""
            for phone in many(sal.get("phones")):
                add(
                    "phones",
                    phone,
                    service_id=service_id,
                    location_id=location_id,
                    service_at_location_id=sal_id,
                )
            for schedule in many(sal.get("schedules")):
                add(
                    "schedules",
                    schedule,
                    service_id=service_id,
                    location_id=location_id,
                    service_at_location_id=sal_id,
                )
        for attribute in many(service.get("attributes")):
            if not isinstance(attribute, dict):
                continue
            term = attribute.get("taxonomy_term")
            term_row = add("taxonomy_terms", term)
            term_id = (term_row or {}).get("id") or (
                str(term.get("id", "")) if isinstance(term, dict) else ""
            )
            row = add("attributes", attribute, taxonomy_term_id=term_id)
            if row is not None:
                # Nested under the service, an attribute describes that service.
                row["link_id"], row["link_entity"] = service_id, "service"
    return tables


def read_source(path: Path) -> Tables:
    if path.is_dir():
        return read_package(path)
    if path.suffix.lower() == ".json":
        return read_service_full(path)
    raise ValueError(f"{path} is neither an HSDS package folder nor service_full JSON")

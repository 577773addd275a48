"""The HSDS 3.0 tables the directory reads and writes: for each, its model, its required and
optional fields, the checks on its values, its foreign keys, and the fields that only make
sense together. The importer validates by them; the exporter writes their columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.db.base import Base
from services.db.tables import (
    Address,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
)

# Open Referral HSDS 3.0 service statuses. Only "active" services are ever offered.
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")


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


def _status(value: str) -> str:
    status = " ".join(value.lower().replace("_", " ").split())
    if status not in SERVICE_STATUSES:
        raise ValueError(f"status {value!r} is not one of " + ", ".join(SERVICE_STATUSES))
    return status


def _time(value: str) -> str:
    """HH:MM or HH:MM:SS -> HH:MM."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"time {value!r} is not HH:MM")
    if int(parts[0]) > 23 or int(parts[1]) > 59:
        raise ValueError(f"time {value!r} is not a time of day")
    return f"{parts[0]}:{parts[1]}"


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
    # Fields whose invalid value skips the whole row rather than being dropped (an unknown
    # status must not fall back to the default "active").
    strict: tuple[str, ...] = ()


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
        {"status": _status},
        references={"organization_id": "organizations"},
        strict=("status",),
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
        {"opens_at": _time, "closes_at": _time},
        references={
            "service_id": "services",
            "location_id": "locations",
            "service_at_location_id": "service_at_location",
        },
    ),
}
TAXONOMY_TABLES = ("taxonomy_terms", "attributes")

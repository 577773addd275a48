"""Upkeep of the derived search rows (services.db.tables.ServiceSearch) that a search scans:
one per code, location and active service, with the service's features and codes
(comma-wrapped)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from services.db.tables import (
    Location,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
    ServiceSearch,
)
from services.directory.search.sql import joined

COLUMNS = ["code", "latitude", "longitude", "service_id", "location_id", "features", "codes"]
CHUNK = 500


def _search_source() -> Select:
    """The search rows, as the directory tables have them."""
    features = (
        select(func.coalesce(joined(ServiceFeature.feature), ""))
        .where(ServiceFeature.service_id == ServiceAtLocation.service_id)
        .scalar_subquery()
    )
    other = aliased(ServiceCode)
    codes = (
        select(func.coalesce(joined(other.code), ""))
        .where(other.service_id == ServiceAtLocation.service_id)
        .scalar_subquery()
    )
    return (
        select(
            ServiceCode.code,
            Location.latitude,
            Location.longitude,
            ServiceAtLocation.service_id,
            ServiceAtLocation.location_id,
            features,
            codes,
        )
        .join(ServiceAtLocation, ServiceAtLocation.service_id == ServiceCode.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Service, Service.id == ServiceCode.service_id)
        .where(
            Service.status == "active",
            Location.latitude.is_not(None),
            Location.longitude.is_not(None),
        )
        .distinct()
    )


async def refresh_search_rows(
    db: AsyncSession | AsyncConnection, service_ids: Collection[str] | None = None
) -> None:
    """Rebuild the derived search rows (all, or those of some services) from the directory
    tables. Call it in the same transaction as any write to services (status), codes,
    features, locations or service_at_location, so a closed service is never offered and
    a search filters on the features a service has now."""
    source = _search_source()
    if service_ids is None:
        await db.execute(delete(ServiceSearch))
        await db.execute(insert(ServiceSearch).from_select(COLUMNS, source))
        return
    ids = sorted(service_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        await db.execute(delete(ServiceSearch).where(ServiceSearch.service_id.in_(chunk)))
        await db.execute(
            insert(ServiceSearch).from_select(
                COLUMNS, source.where(ServiceAtLocation.service_id.in_(chunk))
            )
        )

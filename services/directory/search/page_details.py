"""The details of one page of hits (address, codes, features, a phone), read in one
statement: a tagged union whose rows come back as one named shape per kind."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import Address, Phone, ServiceCode, ServiceFeature
from services.directory.search.formatting import format_phone
from services.directory.search.results import ServiceHit
from services.directory.search.sql import Kind, TaggedUnion


class AddressRow(NamedTuple):
    """A street address of one of the page's locations."""

    location_id: str
    address_id: str
    address_1: str
    city: str
    state_province: str
    postal_code: str


class CodeRow(NamedTuple):
    service_id: str
    code: str


class FeatureRow(NamedTuple):
    service_id: str
    feature: str


class PhoneRow(NamedTuple):
    service_id: str
    phone_id: str
    number: str
    location_id: str | None


@cache
def _details_union() -> TaggedUnion:
    """Addresses of the page's locations; codes, features and phones of its services."""
    ids = bindparam("ids", expanding=True)
    return TaggedUnion.of(
        {
            "a": Kind(
                AddressRow,
                (Address.location_id, Address.id, Address.address_1, Address.city,
                 Address.state_province, Address.postal_code),
                [Address.location_id.in_(bindparam("locations", expanding=True))],
            ),
            "c": Kind(
                CodeRow,
                (ServiceCode.service_id, ServiceCode.code, None, None, None, None),
                [ServiceCode.service_id.in_(ids)],
            ),
            "f": Kind(
                FeatureRow,
                (ServiceFeature.service_id, ServiceFeature.feature, None, None, None, None),
                [ServiceFeature.service_id.in_(ids)],
            ),
            "p": Kind(
                PhoneRow,
                (Phone.service_id, Phone.id, Phone.number, Phone.location_id, None, None),
                [Phone.service_id.in_(ids)],
            ),
        }
    )  # fmt: skip


async def fill_details(session: AsyncSession, hits: list[ServiceHit]) -> None:
    """Address, codes, features and a phone for the page of hits only, in one statement."""
    if not hits:
        return
    by_id = {h.service_id: h for h in hits}
    params = {"ids": list(by_id), "locations": list({h.location_id for h in hits})}
    union = _details_union()
    addresses: dict[str, AddressRow] = {}
    phones: list[PhoneRow] = []
    for row in union.read(await session.execute(union.statement, params)):
        if isinstance(row, AddressRow):
            # The first address of a location (by id), as a place has one street address.
            first = addresses.get(row.location_id)
            if first is None or row.address_id < first.address_id:
                addresses[row.location_id] = row
        elif isinstance(row, CodeRow):
            by_id[row.service_id].codes.append(row.code)
        elif isinstance(row, FeatureRow):
            by_id[row.service_id].features.append(row.feature)
        else:
            phones.append(row)
    for hit in hits:
        hit.codes.sort()
        hit.features.sort()
        if hit.location_id in addresses:
            a = addresses[hit.location_id]
            hit.town = a.city
            hit.address = f"{a.address_1}, {a.city}, {a.state_province} {a.postal_code}"
    for phone in sorted(phones, key=lambda p: p.phone_id):  # ids are unique
        hit = by_id[phone.service_id]
        # Prefer the phone of the location she is offered, else any phone of the service.
        if hit.phone is None or phone.location_id == hit.location_id:
            hit.phone = format_phone(phone.number)

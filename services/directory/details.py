"""Everything she needs to decide on one service at one location: where, when, how to call,
what intake is like and what to bring. The words Tandem composes (days of the week, code and
feature labels) come in her language, "en" or "es"; the directory's own texts stay as written."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import (
    Address,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
)
from services.directory.search.formatting import format_address, format_phone
from services.directory.taxonomy import Taxonomy

DEMO_PREFIX = "DEMO DATA (fictional): "
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = {
    "en": dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True)),
    # As the Spanish SMS texts are written: no accented a/i/o/u ("mie", "sab"), so GSM-7.
    "es": dict(zip(DAYS, ("lun", "mar", "mie", "jue", "vie", "sab", "dom"), strict=True)),
}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class UnknownService(LookupError):
    """No active service has this id."""


class UnknownLocation(LookupError):
    """The service is not offered at this location."""


def summary(description: str | None) -> str | None:
    """The description without the demo-data marker (the marker stays in `description`)."""
    if description is None:
        return None
    return description.removeprefix(DEMO_PREFIX).strip() or None


def what_to_bring(*texts: str | None) -> str | None:
    """The first sentence that says what to bring (or that there is nothing to bring)."""
    for text in texts:
        for sentence in SENTENCE_END.split(summary(text) or ""):
            if re.search(r"\bbring\b", sentence, re.IGNORECASE):
                return sentence.strip()
    return None


def _clock(hhmm: str) -> str:
    hours, minutes = (int(part) for part in hhmm.split(":")[:2])
    suffix = "am" if hours < 12 else "pm"
    shown = hours % 12 or 12
    return f"{shown}{suffix}" if minutes == 0 else f"{shown}:{minutes:02d}{suffix}"


def _days(byday: str, language: str = "en") -> str:
    """ "MO,TU,WE,TH,FR" -> "Mon-Fri" ("lun-vie" in Spanish); runs of three or more days
    collapse, others list."""
    names = DAY_NAMES.get(language, DAY_NAMES["en"])
    indexes = sorted(
        {DAYS.index(d) for d in (p.strip().upper() for p in byday.split(",")) if d in DAYS}
    )
    runs: list[list[int]] = []
    for i in indexes:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[DAYS[run[0]]]}-{names[DAYS[run[-1]]]}")
        else:
            parts.extend(names[DAYS[i]] for i in run)
    return ", ".join(parts)


def describe_schedule(schedule: Schedule, language: str = "en") -> str | None:
    """Short human hours ("Mon-Fri 8am-5pm", "lun-vie 8am-5pm") from the structured fields,
    else the description (as the directory wrote it)."""
    days = _days(schedule.byday or "", language)
    if days and schedule.opens_at and schedule.closes_at:
        try:
            return f"{days} {_clock(schedule.opens_at)}-{_clock(schedule.closes_at)}"
        except ValueError:
            pass
    return (schedule.description or "").strip() or None


def _first_day(schedule: Schedule) -> int:
    days = [DAYS.index(d) for d in (schedule.byday or "").upper().split(",") if d in DAYS]
    return min(days, default=len(DAYS))


@dataclass
class ServiceDetails:
    service: Service
    organization: Organization
    link: ServiceAtLocation | None
    address: Address | None
    phone: str | None
    hours: str | None
    codes: list[str]
    features: list[str]

    def as_dict(self, taxonomy: Taxonomy, language: str = "en") -> dict[str, object]:
        """The API's answer; code and feature labels in `language` (hours were described in
        the language asked of service_details)."""
        service = self.service
        return {
            "service_id": service.id,
            "location_id": self.link.location_id if self.link else None,
            "name": service.name,
            "organization": self.organization.name,
            "description": service.description,
            "summary": summary(service.description),
            "address": format_address(self.address) if self.address else None,
            "town": self.address.city if self.address else None,
            "phone": self.phone,
            "hours": self.hours,
            "application_process": service.application_process,
            "eligibility_description": service.eligibility_description,
            "what_to_bring": what_to_bring(service.description, service.application_process),
            "fees_description": service.fees_description,
            "url": service.url,
            "codes": self.codes,
            "code_labels": [_code_label(taxonomy, c, language) for c in self.codes],
            "features": self.features,
            "feature_labels": [taxonomy.feature_label(f, language) or f for f in self.features],
        }


def _code_label(taxonomy: Taxonomy, code: str, language: str) -> str:
    """A code's label in her language; the code itself if the taxonomy no longer has it."""
    return taxonomy.label(code, language) if code in taxonomy.labels else code


async def service_details(
    session: AsyncSession, service_id: str, location_id: str | None = None, language: str = "en"
) -> ServiceDetails:
    """Details of an active service, at `location_id` or else at its first location, its
    hours in `language`."""
    found = (
        await session.execute(
            select(Service, Organization)
            .join(Organization, Organization.id == Service.organization_id)
            .where(Service.id == service_id, Service.status == "active")
        )
    ).first()
    if found is None:
        raise UnknownService(service_id)
    service, organization = found
    links = select(ServiceAtLocation).where(ServiceAtLocation.service_id == service_id)
    if location_id is not None:
        links = links.where(ServiceAtLocation.location_id == location_id)
    link = (await session.scalars(links.order_by(ServiceAtLocation.id).limit(1))).first()
    if link is None and location_id is not None:
        raise UnknownLocation(location_id)
    address = None
    if link is not None:
        address = (
            await session.scalars(
                select(Address)
                .where(Address.location_id == link.location_id)
                .order_by(Address.address_type != "physical", Address.id)
                .limit(1)
            )
        ).first()
    codes = list(
        await session.scalars(
            select(ServiceCode.code)
            .where(ServiceCode.service_id == service_id)
            .order_by(ServiceCode.code)
        )
    )
    features = list(
        await session.scalars(
            select(ServiceFeature.feature)
            .where(ServiceFeature.service_id == service_id)
            .order_by(ServiceFeature.feature)
        )
    )
    return ServiceDetails(
        service=service,
        organization=organization,
        link=link,
        address=address,
        phone=await _phone(session, service, link),
        hours=await _hours(session, service, link, language),
        codes=codes,
        features=features,
    )


async def _phone(
    session: AsyncSession, service: Service, link: ServiceAtLocation | None
) -> str | None:
    """The most specific phone: this service here, this service, this place, the organization."""
    conditions = [Phone.service_id == service.id, Phone.organization_id == service.organization_id]
    if link is not None:
        conditions += [
            Phone.service_at_location_id == link.id,
            Phone.location_id == link.location_id,
        ]
    phones = list(await session.scalars(select(Phone).where(or_(*conditions)).order_by(Phone.id)))

    def rank(phone: Phone) -> int:
        here = link is not None and (
            phone.service_at_location_id == link.id or phone.location_id == link.location_id
        )
        if phone.service_id == service.id:
            return 0 if here else 1
        if here and phone.service_id is None:
            return 2
        if phone.service_id is None and phone.location_id is None:
            return 3
        return 9  # another service's phone at the same place or organization

    ranked = sorted((rank(p), i, p) for i, p in enumerate(phones))
    best = next((p for r, _, p in ranked if r < 9), None)
    return format_phone(best.number) if best else None


async def _hours(
    session: AsyncSession, service: Service, link: ServiceAtLocation | None, language: str = "en"
) -> str | None:
    """Hours of this service at this location when given, else the service's own hours."""
    conditions = [Schedule.service_id == service.id]
    if link is not None:
        conditions.append(Schedule.service_at_location_id == link.id)
    rows = list(await session.scalars(select(Schedule).where(or_(*conditions))))
    here = [
        s
        for s in rows
        if link is not None
        and (s.service_at_location_id == link.id or s.location_id == link.location_id)
    ]
    general = [s for s in rows if s.service_at_location_id is None and s.location_id is None]
    chosen = sorted(here or general, key=lambda s: (_first_day(s), s.opens_at or "", s.id))
    texts = [t for s in chosen if (t := describe_schedule(s, language))]
    return "; ".join(dict.fromkeys(texts)) or None

"""Referral rows and their status history. A status changes only from the status the caller
saw (compare-and-set), and every change, creation included, writes a history row. Repository
functions never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.checkins import follow_ups
from services.db.tables import Organization, Referral, ReferralStatusChange, Service
from services.referrals.lifecycle import TERMINAL, Transition


@dataclass(frozen=True)
class NewReferral:
    client_id: str
    service_id: str
    location_id: str | None
    need: str
    created_by: str
    do_not_contact: bool
    consent_id: int | None


async def add_referral(session: AsyncSession, new: NewReferral, *, now: datetime) -> Referral:
    referral = Referral(
        client_id=new.client_id,
        service_id=new.service_id,
        location_id=new.location_id,
        need=new.need,
        created_by=new.created_by,
        status="draft",
        do_not_contact=new.do_not_contact,
        consent_id=new.consent_id,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    await session.flush()
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=None,
            to_status="draft",
            actor=new.created_by,
            created_at=now,
        )
    )
    return referral


def _with_service():  # type: ignore[no-untyped-def]
    return selectinload(Referral.service).selectinload(Service.organization)


async def get_referral(session: AsyncSession, referral_id: int) -> Referral | None:
    query = (
        select(Referral)
        .where(Referral.id == referral_id)
        .options(_with_service())
        .execution_options(populate_existing=True)  # load the service onto a just-added row
    )
    return (await session.scalars(query)).first()


async def referrals_relying_on(
    session: AsyncSession, consent_ids: list[int], *, open_only: bool = True
) -> list[Referral]:
    """Referrals that rely on any of these consents; only non-terminal ones by default."""
    if not consent_ids:
        return []
    query = select(Referral).where(Referral.consent_id.in_(consent_ids))
    if open_only:
        query = query.where(Referral.status.not_in(TERMINAL))
    return list(await session.scalars(query.options(_with_service()).order_by(Referral.id)))


async def list_referrals(
    session: AsyncSession,
    *,
    client_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Referral]]:
    """The total matching and one page of them, newest first."""
    conditions = []
    if client_id is not None:
        conditions.append(Referral.client_id == client_id)
    if status is not None:
        conditions.append(Referral.status == status)
    total = await session.scalar(select(func.count(Referral.id)).where(*conditions)) or 0
    query = (
        select(Referral)
        .where(*conditions)
        .options(_with_service())
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, list(await session.scalars(query))


async def history(session: AsyncSession, referral_id: int) -> list[ReferralStatusChange]:
    query = (
        select(ReferralStatusChange)
        .where(ReferralStatusChange.referral_id == referral_id)
        .order_by(ReferralStatusChange.id)
    )
    return list(await session.scalars(query))


async def apply_transition(
    session: AsyncSession,
    referral: Referral,
    transition: Transition,
    *,
    actor: str,
    now: datetime,
) -> bool:
    """Move the referral if it is still in `transition.current`, and record the change; False if
    another request moved it first. The loaded object is updated in place."""
    values: dict[str, object] = {
        "status": transition.to,
        "reason": transition.reason,
        "updated_at": now,
    }
    if transition.outcome is not None:
        values["outcome"] = transition.outcome
    result = await session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == transition.current)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=transition.current,
            to_status=transition.to,
            reason=transition.reason,
            outcome=transition.outcome,
            actor=actor,
            created_at=now,
        )
    )
    if transition.to == "requested":  # sent on, by her YES or by staff
        follow_ups.after_referral_requested(session, referral.client_id, referral.id, now)
    await session.flush()
    return True


def service_label(referral: Referral) -> str:
    """ "Organization - Service", as staff and she see it."""
    organization: Organization = referral.service.organization
    return f"{organization.name} - {referral.service.name}"


def change_dict(change: ReferralStatusChange) -> dict[str, object]:
    return {
        "from": change.from_status,
        "to": change.to_status,
        "reason": change.reason,
        "outcome": change.outcome,
        "actor": change.actor,
        "at": change.created_at.isoformat(),
    }


def referral_dict(referral: Referral) -> dict[str, object]:
    return {
        "id": referral.id,
        "client_id": referral.client_id,
        "service_id": referral.service_id,
        "location_id": referral.location_id,
        "service_name": referral.service.name,
        "organization": referral.service.organization.name,
        "need": referral.need,
        "created_by": referral.created_by,
        "status": referral.status,
        "reason": referral.reason,
        "outcome": referral.outcome,
        "do_not_contact": referral.do_not_contact,
        "consent_id": referral.consent_id,
        "created_at": referral.created_at.isoformat(),
        "updated_at": referral.updated_at.isoformat(),
    }

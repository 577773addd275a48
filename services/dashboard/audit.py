"""The append-only audit log: who did what to which record, when and from where.

Rows are written in the transaction of the action they record, so an action is audited
exactly once or not at all; the database refuses to change or delete them (migration 0007).
A target is a type and an id, never message text or a phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.db.tables import AuditEvent, StaffAccount

# Every action the code writes; the audit page filters on them.
ACTIONS = (
    "login_succeeded",
    "login_failed",
    "login_refused_locked",
    "account_locked",
    "logout",
    "password_changed",
    "password_change_failed",
    "password_set_by_link",
    "staff_created",
    "set_password_link_created",
    "staff_role_changed",
    "staff_deactivated",
    "staff_reactivated",
    "staff_unlocked",
    "client_viewed",
    "phone_revealed",
    "alert_acknowledged",
    "client_claimed",
    "client_assigned",
    "referral_status_changed",
    "note_added",
    "message_sent",
    "do_not_contact_set",
    "do_not_contact_cleared",
    "signal_added",
    "contact_preferences_changed",
    "stage_message_changed",
    "research_exported",
)


@dataclass(frozen=True)
class Where:
    """Where an action came from: the dashboard (with its request id and IP) or the CLI."""

    source: str = "web"
    request_id: str | None = None
    ip: str | None = None


CLI = Where(source="cli")


@dataclass(frozen=True)
class Actor:
    id: int | None
    role: str | None


def record(
    session: AsyncSession,
    action: str,
    actor: Actor | None,
    where: Where,
    target_type: str | None = None,
    target_id: object = None,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEvent(
            action=action,
            actor_id=actor.id if actor else None,
            actor_role=actor.role if actor else None,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            source=where.source,
            request_id=where.request_id,
            ip=where.ip,
        )
    )


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_email: str | None
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    source: str
    request_id: str | None
    ip: str | None


async def search(
    session: AsyncSession,
    *,
    actor_email: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[AuditRow]:
    """Newest first, filtered by the actor's email, the action and a time range [since, until)."""
    actor = aliased(StaffAccount)
    query = select(AuditEvent, actor.email).outerjoin(actor, AuditEvent.actor_id == actor.id)
    if actor_email:
        query = query.where(actor.email == actor_email.strip().lower())
    if action:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return [
        AuditRow(
            id=event.id,
            at=event.at,
            actor_email=email,
            actor_role=event.actor_role,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            source=event.source,
            request_id=event.request_id,
            ip=event.ip,
        )
        for event, email in (await session.execute(query)).all()
    ]

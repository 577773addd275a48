"""What admins do to staff accounts in the dashboard: list them, change a role, deactivate
and reactivate, unlock. (Adding one and its set-password links are accounts.py's, as for the
command line.) Functions take a session and never commit; staff_pages.py owns the
transaction and writes the one audit row in it.

A woman must never be left with a case manager who cannot open her record: when an account
is deactivated, or its role no longer works with client records, the women assigned to it go
back to the unassigned queue, where every case manager sees them and their alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import access
from services.dashboard.accounts import StaffUser
from services.db.tables import ROLES, AuditEvent, Client, StaffAccount


class StaffError(ValueError):
    """An admin action refused, with a message for the page (400, 404 or 409)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StaffRow:
    id: int
    email: str
    role: str
    active: bool
    password_set: bool
    last_login: datetime | None
    locked_until: datetime | None  # only while it is in the future


async def staff_list(session: AsyncSession, now: datetime) -> list[StaffRow]:
    """Every account, by email; the last login comes from the audit log (not kept twice)."""
    last_login = (
        select(AuditEvent.actor_id, func.max(AuditEvent.at).label("at"))
        .where(AuditEvent.action == "login_succeeded")
        .group_by(AuditEvent.actor_id)
        .subquery()
    )
    rows = await session.execute(
        select(StaffAccount, last_login.c.at)
        .outerjoin(last_login, last_login.c.actor_id == StaffAccount.id)
        .order_by(StaffAccount.email)
    )
    return [
        StaffRow(
            id=account.id,
            email=account.email,
            role=account.role,
            active=account.active,
            password_set=account.password_hash is not None,
            last_login=at,
            locked_until=(
                account.locked_until
                if account.locked_until is not None and account.locked_until > now
                else None
            ),
        )
        for account, at in rows.all()
    ]


async def _other(session: AsyncSession, admin: StaffUser, staff_id: int) -> StaffAccount:
    """The account an admin acts on, locked for the change; never her own (so there is
    always an active admin, and nobody demotes herself by a slip)."""
    account = await session.get(StaffAccount, staff_id, with_for_update=True)
    if account is None:
        raise StaffError("No such account.", 404)
    if account.id == admin.id:
        raise StaffError("Not on your own account: ask another admin.", 409)
    return account


async def _release_clients(session: AsyncSession, staff_id: int) -> int:
    """Her women back to the unassigned queue; how many."""
    result = await session.execute(
        update(Client)
        .where(Client.assigned_to == staff_id)
        .values(assigned_to=None, assigned_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def change_role(session: AsyncSession, admin: StaffUser, staff_id: int, role: str) -> int:
    """Her new role, at her next request. Returns how many women went back to the
    unassigned queue (when the new role works with no client records)."""
    if role not in ROLES:
        raise StaffError(f"Choose a role: {', '.join(ROLES)}.")
    account = await _other(session, admin, staff_id)
    if account.role == role:
        raise StaffError("She already has that role.", 409)
    account.role = role
    return 0 if role in access.CASEWORK else await _release_clients(session, staff_id)


async def set_active(
    session: AsyncSession, admin: StaffUser, staff_id: int, active: bool, now: datetime
) -> int:
    """Deactivate (she can no longer log in, her sessions end, her women go back to the
    unassigned queue; returns how many) or reactivate (she logs in with her password, or
    with a new set-password link if she has none)."""
    account = await _other(session, admin, staff_id)
    if account.active == active:
        raise StaffError("She is already active." if active else "She is already inactive.", 409)
    account.active = active
    if active:
        return 0
    account.sessions_revoked_at = now  # a copied cookie must not come back with her
    return await _release_clients(session, staff_id)


async def unlock(session: AsyncSession, staff_id: int, now: datetime) -> None:
    """Lift a lockout after wrong passwords, before it runs out."""
    account = await session.get(StaffAccount, staff_id, with_for_update=True)
    if account is None:
        raise StaffError("No such account.", 404)
    if account.locked_until is None or account.locked_until <= now:
        raise StaffError("She is not locked out.", 409)
    account.locked_until = None
    account.failed_logins = 0

"""Admins manage staff in the browser (/dashboard/staff): the list, add one (a one-time
set-password link, shown once, as `tandem staff add --link` prints it), a new link, change a
role, deactivate, reactivate, unlock. Every action is a POST form (CSRF checked by guard.py)
that writes exactly one audit row, or none when refused; only admins reach these routes
(access.py). The rules are in staff_admin.py and accounts.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy.ext.asyncio import AsyncSession

from services.app_keys import SESSIONS, SETTINGS, STAFF
from services.dashboard import audit, staff_admin
from services.dashboard.accounts import AccountError, AccountExists
from services.dashboard.guard import USER, render, where
from services.dashboard.staff_admin import StaffError
from services.db.base import utcnow
from services.db.tables import ROLES

routes = web.RouteTableDef()
PAGE = "/dashboard/staff"


def _field(form, name: str, limit: int = 300) -> str:  # type: ignore[no-untyped-def]
    value = form.get(name, "")
    return value[:limit].strip() if isinstance(value, str) else ""


def _staff_id(request: web.Request) -> int:
    raw = request.match_info["staff_id"]
    if not raw.isdigit():
        raise StaffError("No such account.", 404)
    return int(raw)


async def _page(request: web.Request, status: int = 200, **context: object) -> web.Response:
    async with request.app[SESSIONS]() as session:
        staff = await staff_admin.staff_list(session, utcnow())
    flash = (await get_session(request)).pop("flash", None)
    page = {"staff": staff, "roles": ROLES, "flash": flash, "email": "", "role": "", **context}
    return await render("staff.html", request, page, status=status)


def _link(request: web.Request, token: str) -> str:
    return f"{request.app[SETTINGS].public_url}/dashboard/set-password/{token}"


@routes.get(PAGE, name="dashboard.staff")
async def staff_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.post(PAGE, name="dashboard.staff_add")
async def add_staff(request: web.Request) -> web.StreamResponse:
    """The new account and its link, on this response only (never stored or logged)."""
    form = await request.post()
    email, role = _field(form, "email", 254), _field(form, "role", 20)
    try:
        user, token = await request.app[STAFF].add(
            email, role, None, where(request), by=request[USER].actor
        )
    except AccountError as error:
        status = 409 if isinstance(error, AccountExists) else 400
        return await _page(request, status, error=str(error), email=email, role=role)
    assert token is not None
    return await _page(request, new={"email": user.email, "link": _link(request, token)})


@routes.post(PAGE + "/{staff_id}/link", name="dashboard.staff_link")
async def new_link(request: web.Request) -> web.StreamResponse:
    try:
        staff_id = _staff_id(request)
        email, token = await request.app[STAFF].new_link(
            staff_id, where(request), request[USER].actor
        )
    except StaffError as error:
        return await _page(request, error.status, error=str(error))
    except AccountError as error:
        return await _page(request, 409, error=str(error))
    return await _page(request, new={"email": email, "link": _link(request, token)})


Change = Callable[[AsyncSession, int], Awaitable[str]]


async def _change(request: web.Request, action: str, change: Change) -> web.StreamResponse:
    """One admin action on one account: `change` does it and says what was done; the audit
    row goes in the same transaction; refused, the page says why and nothing is written."""
    try:
        staff_id = _staff_id(request)
        async with request.app[SESSIONS]() as session, session.begin():
            done = await change(session, staff_id)
            audit.record(session, action, request[USER].actor, where(request), "staff", staff_id)
    except StaffError as error:
        return await _page(request, error.status, error=str(error))
    (await get_session(request))["flash"] = ["done", done]
    raise web.HTTPSeeOther(PAGE)


def _released(count: int) -> str:
    if not count:
        return ""
    women = "woman" if count == 1 else "women"
    return f" {count} {women} assigned to her went back to the unassigned queue."


@routes.post(PAGE + "/{staff_id}/role", name="dashboard.staff_role")
async def change_role(request: web.Request) -> web.StreamResponse:
    role = _field(await request.post(), "role", 20)

    async def change(session: AsyncSession, staff_id: int) -> str:
        released = await staff_admin.change_role(session, request[USER], staff_id, role)
        return f"Her role is {role.replace('_', ' ')} now." + _released(released)

    return await _change(request, "staff_role_changed", change)


@routes.post(PAGE + "/{staff_id}/deactivate", name="dashboard.staff_deactivate")
async def deactivate(request: web.Request) -> web.StreamResponse:
    async def change(session: AsyncSession, staff_id: int) -> str:
        released = await staff_admin.set_active(session, request[USER], staff_id, False, utcnow())
        return "The account is deactivated: she cannot log in." + _released(released)

    return await _change(request, "staff_deactivated", change)


@routes.post(PAGE + "/{staff_id}/reactivate", name="dashboard.staff_reactivate")
async def reactivate(request: web.Request) -> web.StreamResponse:
    async def change(session: AsyncSession, staff_id: int) -> str:
        await staff_admin.set_active(session, request[USER], staff_id, True, utcnow())
        return "The account is active again."

    return await _change(request, "staff_reactivated", change)


@routes.post(PAGE + "/{staff_id}/unlock", name="dashboard.staff_unlock")
async def unlock(request: web.Request) -> web.StreamResponse:
    async def change(session: AsyncSession, staff_id: int) -> str:
        await staff_admin.unlock(session, staff_id, utcnow())
        return "The account is unlocked."

    return await _change(request, "staff_unlocked", change)

"""The dashboard's pages: login, logout, password change, set-password links, the audit log
and the home page. Who may open each is in access.py (by route name), enforced by guard.py."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from importlib import resources

from aiohttp import web
from aiohttp_session import get_session

from services.app_keys import LOGIN_LIMITER, SESSIONS, STAFF
from services.dashboard import audit, casework_pages
from services.dashboard.accounts import AccountError, LoginFailed
from services.dashboard.guard import USER, refresh_stamp, render, start_session, where

routes = web.RouteTableDef()

STATIC = resources.files("services.dashboard").joinpath("static")
CSS = STATIC.joinpath("dashboard.css").read_bytes()
LIVE_JS = STATIC.joinpath("live.js").read_bytes()
TOO_MANY = "Too many wrong tries from here. Wait a few minutes and try again."


def _field(form, name: str) -> str:  # type: ignore[no-untyped-def]
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


@routes.get("/dashboard/static/dashboard.css", name="dashboard.css")
async def stylesheet(_: web.Request) -> web.Response:
    return web.Response(body=CSS, content_type="text/css")


@routes.get("/dashboard/static/live.js", name="dashboard.js")
async def live_script(_: web.Request) -> web.Response:
    return web.Response(body=LIVE_JS, content_type="text/javascript")


@routes.get("/dashboard/login", name="dashboard.login")
async def login_page(request: web.Request) -> web.StreamResponse:
    if USER in request:
        raise web.HTTPSeeOther("/dashboard/")
    # The dummy hash for unknown emails, made before the first login (not at startup: it
    # costs as much as a login).
    await request.app[STAFF].passwords.warm_up()
    return await render("login.html", request, {"email": ""})


@routes.post("/dashboard/login", name="dashboard.login_post")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = _field(form, "email")
    limiter = request.app[LOGIN_LIMITER]
    ip = request.remote or "unknown"
    context = {"email": email[:254]}
    if limiter.blocked(ip):
        return await render("login.html", request, {**context, "error": TOO_MANY}, status=429)
    try:
        user = await request.app[STAFF].login(email, _field(form, "password"), where(request))
    except LoginFailed as error:
        limiter.fail(ip)
        return await render("login.html", request, {**context, "error": str(error)}, status=401)
    await start_session(request, user)
    raise web.HTTPSeeOther("/dashboard/")


@routes.post("/dashboard/logout", name="dashboard.logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await request.app[STAFF].logout(request[USER], where(request))
    (await get_session(request)).invalidate()
    raise web.HTTPSeeOther("/dashboard/login")


@routes.get("/dashboard/", name="dashboard.home")
async def home(request: web.Request) -> web.StreamResponse:
    """Case managers and admins get their queue; program staff, who see no client records,
    the plain home page."""
    if casework_pages.sees_clients(request):
        return await casework_pages.queue_page(request)
    return await render("home.html", request, {})


@routes.get("/dashboard/password", name="dashboard.password")
async def password_page(request: web.Request) -> web.StreamResponse:
    return await render("password.html", request, {})


@routes.post("/dashboard/password", name="dashboard.password_post")
async def change_password(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    limiter = request.app[LOGIN_LIMITER]
    ip = request.remote or "unknown"
    if limiter.blocked(ip):
        return await render("password.html", request, {"error": TOO_MANY}, status=429)
    new = _field(form, "new_password")
    if new != _field(form, "confirm_password"):
        return await render(
            "password.html", request, {"error": "The two new passwords differ."}, status=400
        )
    try:
        user = await request.app[STAFF].change_password(
            request[USER], _field(form, "current_password"), new, where(request)
        )
    except AccountError as error:
        limiter.fail(ip)
        return await render("password.html", request, {"error": str(error)}, status=400)
    request[USER] = user
    await refresh_stamp(request, user)
    return await render("password.html", request, {"done": "Your password is changed."})


@routes.get("/dashboard/set-password/{token}", name="dashboard.set_password")
async def set_password_page(request: web.Request) -> web.StreamResponse:
    try:
        email = await request.app[STAFF].link_email(request.match_info["token"])
    except AccountError as error:
        return await render(
            "message.html", request, {"title": "Link not valid", "message": str(error)}, status=404
        )
    return await render("set_password.html", request, {"email": email})


@routes.post("/dashboard/set-password/{token}", name="dashboard.set_password_post")
async def set_password(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = request.match_info["token"]
    staff = request.app[STAFF]
    try:
        email = await staff.link_email(token)
    except AccountError as error:
        return await render(
            "message.html", request, {"title": "Link not valid", "message": str(error)}, status=404
        )
    new = _field(form, "new_password")
    error_text = None
    if new != _field(form, "confirm_password"):
        error_text = "The two passwords differ."
    else:
        try:
            await staff.set_password_from_link(token, new, where(request))
        except AccountError as error:
            error_text = str(error)
    if error_text:
        return await render(
            "set_password.html", request, {"email": email, "error": error_text}, status=400
        )
    return await render(
        "message.html",
        request,
        {"title": "Password set", "message": "Your password is set. You can log in now."},
    )


def _day(raw: str) -> datetime | None:
    try:
        return datetime.combine(datetime.strptime(raw, "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        return None


@routes.get("/dashboard/audit", name="dashboard.audit")
async def audit_page(request: web.Request) -> web.StreamResponse:
    query = request.query
    actor = query.get("actor", "").strip()[:254]
    action = query.get("action", "")
    action = action if action in audit.ACTIONS else ""
    since, until = _day(query.get("from", "")), _day(query.get("to", ""))
    async with request.app[SESSIONS]() as session:
        rows = await audit.search(
            session,
            actor_email=actor or None,
            action=action or None,
            since=since,
            until=until + timedelta(days=1) if until else None,  # the whole "to" day
        )
    filters = {
        "actor": actor,
        "action": action,
        "from": since.date().isoformat() if since else "",
        "to": until.date().isoformat() if until else "",
    }
    return await render(
        "audit.html", request, {"rows": rows, "actions": audit.ACTIONS, "filters": filters}
    )

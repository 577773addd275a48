"""Staff sessions and the one guard every /dashboard/* request goes through.

Sessions live in an encrypted cookie (aiohttp-session's EncryptedCookieStorage: Fernet, a
key derived from TANDEM_SECRET_KEY with HKDF), HttpOnly, SameSite=Lax, Secure unless running
locally over plain http, scoped to /dashboard/. The guard, in order: gives the request an id;
checks the CSRF token of every POST (a per-session random token in a hidden form field,
compared in constant time; missing or wrong: 403); ends a session idle longer than
`tandem_session_idle_minutes`, older than `tandem_session_max_hours`, or made before a password
change (a passive request, access.PASSIVE, does not count as her being there); then lets the
request through only if access.py allows the route for her role.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
import uuid

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.app_keys import SETTINGS, STAFF
from services.dashboard import access
from services.dashboard.accounts import StaffUser
from services.dashboard.audit import Where
from services.settings import Settings

COOKIE_NAME = "tandem_staff"
CSRF_FIELD = "csrf_token"
LOGIN_PATH = "/dashboard/login"
USER = web.RequestKey("staff_user", StaffUser)
REQUEST_ID = web.RequestKey("request_id", str)

# Patched by the session-timeout tests.
clock = time.time

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",  # set-password links carry their token in the path
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def session_key(secret: str) -> bytes:
    """The 32-byte Fernet key for session cookies, derived from TANDEM_SECRET_KEY (so the
    secret itself never encrypts anything, and other uses of it get other keys)."""
    if not secret:
        raise ValueError("TANDEM_SECRET_KEY is empty: run `tandem init-local` or set it")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tandem staff session v1"
    ).derive(secret.encode())


def session_storage(settings: Settings) -> EncryptedCookieStorage:
    return EncryptedCookieStorage(
        base64.urlsafe_b64encode(session_key(settings.tandem_secret_key)).decode(),
        cookie_name=COOKIE_NAME,
        path="/dashboard/",
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
        max_age=None,  # a browser-session cookie; the timeouts are checked in the session
    )


def where(request: web.Request) -> Where:
    return Where(source="web", request_id=request.get(REQUEST_ID), ip=request.remote)


def csrf_token(session: Session) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def start_session(request: web.Request, user: StaffUser) -> None:
    """A fresh session (new CSRF token, nothing kept from before the login)."""
    session = await new_session(request)
    now = clock()
    session.update(
        {
            "staff_id": user.id,
            "stamp": user.stamp,
            "auth_at": now,
            "seen_at": now,
            "csrf": secrets.token_urlsafe(32),
        }
    )


async def refresh_stamp(request: web.Request, user: StaffUser) -> None:
    """After her own password change this session goes on; her others end."""
    session = await get_session(request)
    session["stamp"] = user.stamp
    session["csrf"] = secrets.token_urlsafe(32)


async def _session_user(request: web.Request, session: Session, passive: bool) -> StaffUser | None:
    staff_id = session.get("staff_id")
    if not isinstance(staff_id, int):
        return None
    settings = request.app[SETTINGS]
    now = clock()
    auth_at, seen_at = session.get("auth_at", 0), session.get("seen_at", 0)
    expired = (
        now - seen_at > settings.tandem_session_idle_minutes * 60
        or now - auth_at > settings.tandem_session_max_hours * 3600
    )
    user = None if expired else await request.app[STAFF].current(staff_id)
    if user is None or not hmac.compare_digest(user.stamp, str(session.get("stamp", ""))):
        session.invalidate()
        return None
    if not passive:
        session["seen_at"] = now
    return user


async def render(
    template: str, request: web.Request, context: dict[str, object], status: int = 200
) -> web.Response:
    """A page, with what every template gets: who is logged in and the form's CSRF token."""
    session = await get_session(request)
    page = {"user": request.get(USER), "csrf_token": csrf_token(session), **context}
    return aiohttp_jinja2.render_template(template, request, page, status=status)


async def _denied(request: web.Request, status: int, message: str) -> web.Response:
    context: dict[str, object] = {"title": "Not allowed", "message": message}
    return await render("message.html", request, context, status=status)


@web.middleware
async def dashboard_guard(request: web.Request, handler):  # type: ignore[no-untyped-def]
    if not request.path.startswith("/dashboard/"):
        return await handler(request)
    request[REQUEST_ID] = uuid.uuid4().hex
    response = await _guarded(request, handler)
    response.headers.update(SECURITY_HEADERS)
    response.headers["X-Request-Id"] = request[REQUEST_ID]
    return response


async def _guarded(request: web.Request, handler):  # type: ignore[no-untyped-def]
    route = request.match_info.route
    name = route.name if route.resource is not None else None
    if access.ROUTE_ROLES.get(name or "") is None:
        raise web.HTTPNotFound(text="Not found.")
    session = await get_session(request)
    expected = csrf_token(session)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        form = await request.post()
        given = form.get(CSRF_FIELD)
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
            return await _denied(
                request, 403, "This form has expired. Go back, reload and try again."
            )
    user = await _session_user(request, session, passive=name in access.PASSIVE)
    if user is not None:
        request[USER] = user
    if access.is_public(name):
        return await handler(request)
    if user is None:
        raise web.HTTPSeeOther(LOGIN_PATH)
    if not access.allowed(name, user.role):
        return await _denied(request, 403, "Your role does not give you this page.")
    return await handler(request)

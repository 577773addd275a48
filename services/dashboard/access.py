"""Who may reach which dashboard page: the one table of roles, by route name. The guard
middleware (guard.py) enforces it on every /dashboard/* request; a dashboard route missing
from this table is not served at all.

The rest of the app is not for staff sessions: /api/* and /metrics take the bot's service
token (services/web.py), /sms/* Twilio's signature, and only the health checks and the
OpenAPI document are open (see `route_guard`, which the route-walk test reads)."""

from __future__ import annotations

from services.db.tables import ROLES

ANYONE = frozenset({"anyone"})  # no session needed: the login and set-password pages
STAFF = frozenset(ROLES)
ADMIN = frozenset({"admin"})
# Who works with her record (the queue, her page); program staff see no client records.
CASEWORK = frozenset({"case_manager", "admin"})
# Who tunes what Tandem says (the stage-message library): no client record is shown there.
PROGRAM = frozenset({"program_staff", "admin"})

ROUTE_ROLES: dict[str, frozenset[str]] = {
    "dashboard.login": ANYONE,
    "dashboard.login_post": ANYONE,
    "dashboard.set_password": ANYONE,
    "dashboard.set_password_post": ANYONE,
    "dashboard.css": ANYONE,
    "dashboard.js": ANYONE,
    "dashboard.home": STAFF,
    "dashboard.logout": STAFF,
    "dashboard.password": STAFF,
    "dashboard.password_post": STAFF,
    "dashboard.audit": ADMIN,
    "dashboard.staff": ADMIN,
    "dashboard.staff_add": ADMIN,
    "dashboard.staff_link": ADMIN,
    "dashboard.staff_role": ADMIN,
    "dashboard.staff_deactivate": ADMIN,
    "dashboard.staff_reactivate": ADMIN,
    "dashboard.staff_unlock": ADMIN,
    "dashboard.client": CASEWORK,
    "dashboard.client_phone": CASEWORK,
    "dashboard.client_claim": CASEWORK,
    "dashboard.client_assign": ADMIN,
    "dashboard.client_note": CASEWORK,
    "dashboard.client_send": CASEWORK,
    "dashboard.client_do_not_contact": CASEWORK,
    "dashboard.client_signal": CASEWORK,
    "dashboard.client_contact_prefs": CASEWORK,
    "dashboard.stage_messages": PROGRAM,
    "dashboard.stage_message": PROGRAM,
    "dashboard.stage_message_post": PROGRAM,
    "dashboard.referral_status": CASEWORK,
    "dashboard.alert": CASEWORK,
    "dashboard.alert_acknowledge": CASEWORK,
    "dashboard.live": CASEWORK,
    "dashboard.live_queue": CASEWORK,
}

# Requests a page makes by itself (the open queue's live check), not she: they do not count
# as her using the dashboard, so an open queue does not keep an unattended session alive.
PASSIVE = frozenset({"dashboard.live", "dashboard.live_queue"})

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/api/openapi.json"})


def allowed(route_name: str | None, role: str | None) -> bool:
    roles = ROUTE_ROLES.get(route_name or "")
    if roles is None:
        return False
    return roles is ANYONE or role in roles


def sees_clients(role: str | None) -> bool:
    """Whether her records (the queue, her page) are for this role at all."""
    return role in CASEWORK


def may_open_client(role: str | None, staff_id: int, assigned_to: int | None) -> bool:
    """The one rule for one woman's record: admins open every one; a case manager opens
    those assigned to her and the unassigned ones (to claim them), never another case
    manager's. Every client-scoped page and action goes through casework.open_client,
    which applies it; the queue lists only what this allows (casework.visible)."""
    if role == "admin":
        return True
    return role == "case_manager" and assigned_to in (None, staff_id)


def is_public(route_name: str | None) -> bool:
    return ROUTE_ROLES.get(route_name or "") is ANYONE


def route_guard(path: str) -> str:
    """What lets a request to this path through: "open", "service_token", "twilio_signature",
    "staff_session" or "none" (which no route of the app may be)."""
    if path in OPEN_PATHS:
        return "open"
    if path.startswith("/api/") or path == "/metrics":
        return "service_token"
    if path.startswith("/sms/"):
        return "twilio_signature"
    if path.startswith("/dashboard/"):
        return "staff_session"
    return "none"

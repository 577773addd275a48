"""The case manager's pages: the queue (the dashboard's home for case managers and admins),
her page, and the actions on them. Every action is a POST form (CSRF checked by guard.py),
writes exactly one audit row in its own transaction, and redirects back (post/redirect/get).
Who may reach each route is access.py; who may open which woman's record is
access.may_open_client, applied by casework.open_client to every client-scoped handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.alerts import InvalidAlert, acknowledge
from services.app_keys import OUTBOUND, PHONES, REFERRALS, SESSIONS, SETTINGS
from services.checkins.texts import discreet_text
from services.clients import contact_prefs
from services.clients.profile import InvalidField
from services.dashboard import access, audit, casework
from services.dashboard.casework import CaseworkError, NotFound, Refused
from services.dashboard.check_in_schedule import check_in_schedule
from services.dashboard.guard import USER, render, where
from services.db.base import utcnow
from services.db.tables import Alert, Client, Message, Referral
from services.engagement import taxonomy
from services.engagement.recent import summary_of
from services.gateway import quiet_hours
from services.referrals.errors import ConcurrentChange, NoActiveConsent, UnknownReferral
from services.referrals.lifecycle import OUTCOMES, REASON_REQUIRED, TransitionError

routes = web.RouteTableDef()
# How often an open queue asks whether its urgent alerts changed (static/live.js).
LIVE_SECONDS = 5
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Her page's "something else" form; appointments and her provider have their own forms.
OTHER_STAFF_TYPES = tuple(
    t
    for t in taxonomy.STAFF_TYPES
    if t not in ("appointment_attended", "appointment_missed", "provider_rating")
)


def _actor(request: web.Request) -> audit.Actor:
    user = request[USER]
    return audit.Actor(id=user.id, role=user.role)


def _field(form, name: str, limit: int = 5000) -> str:  # type: ignore[no-untyped-def]
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


async def _flash(request: web.Request, message: str, kind: str = "done") -> None:
    (await get_session(request))["flash"] = [kind, message]


async def _back_to(request: web.Request, path: str, message: str) -> web.StreamResponse:
    await _flash(request, message)
    raise web.HTTPSeeOther(path)


def casework_page(handler: Handler) -> Handler:
    """Refusals as pages: another case manager's client (403), no such record (404), an
    action the rules refuse (400/409, with a way back)."""

    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused:
            message = "She is another case manager's client. Ask an admin to reassign her."
            return await _message(request, 403, "Not allowed", message)
        except (NotFound, UnknownReferral):
            return await _message(request, 404, "Not found", "No such record.")
        except CaseworkError as error:
            return await _message(request, error.status, "Not done", str(error), back=True)

    return wrapped


async def _message(
    request: web.Request, status: int, title: str, message: str, back: bool = False
) -> web.Response:
    context: dict[str, object] = {"title": title, "message": message}
    if back and "client_id" in request.match_info:
        context["back"] = f"/dashboard/clients/{request.match_info['client_id']}"
    return await render("message.html", request, context, status=status)


# The queue -----------------------------------------------------------------------------


def queue_title(open_alerts: casework.OpenAlerts) -> str:
    """The queue's <title> before " · Tandem staff": the count shows on a background tab."""
    return f"({open_alerts.count} urgent) Queue"


async def _queue(request: web.Request) -> tuple[casework.Queue, dict[str, object]]:
    """Her queue, and what queue_live.html needs to show it."""
    settings = request.app[SETTINGS]
    async with request.app[SESSIONS]() as session:
        work = await casework.queue(
            session,
            request[USER],
            now=utcnow(),
            stale_after=timedelta(days=settings.tandem_queue_stale_referral_days),
            quiet_after=timedelta(days=settings.tandem_queue_quiet_client_days),
        )
    return work, {
        "queue": work,
        "age": casework.age_text,
        "stale_days": settings.tandem_queue_stale_referral_days,
        "quiet_days": settings.tandem_queue_quiet_client_days,
    }


async def queue_page(request: web.Request) -> web.StreamResponse:
    """The dashboard's home for case managers and admins (pages.home calls it)."""
    work, context = await _queue(request)
    context.update(
        title=queue_title(work.open_alerts),
        live_every=LIVE_SECONDS,
        flash=(await get_session(request)).pop("flash", None),
    )
    return await render("queue.html", request, context)


@routes.get("/dashboard/live", name="dashboard.live")
async def live(request: web.Request) -> web.StreamResponse:
    """What the open queue polls: its open urgent alerts, and the title to show for them."""
    async with request.app[SESSIONS]() as session:
        found = await casework.open_alerts(session, request[USER])
    title = f"{queue_title(found)} · Tandem staff"  # as base.html ends every <title>
    return web.json_response({"count": found.count, "newest": found.newest, "title": title})


@routes.get("/dashboard/live/queue", name="dashboard.live_queue")
async def live_queue(request: web.Request) -> web.StreamResponse:
    """The queue's live part alone, for the open page to swap in."""
    _, context = await _queue(request)
    return await render("queue_live.html", request, context)


# Her page ------------------------------------------------------------------------------


async def _client_page(
    request: web.Request, session: AsyncSession, client_id: str, *, reveal: bool
) -> dict[str, object]:
    client = await casework.open_client(session, request[USER], client_id)
    record = await casework.client_record(session, client, utcnow())
    try:
        phone = request.app[PHONES].decrypt(client.phone_encrypted)
    except Exception:  # a forgotten or unreadable number: nothing to show
        phone = None
    places = {r.referral.id: r.service_name for r in record.referrals}
    tz = request.app[SETTINGS].tandem_timezone
    action = "phone_revealed" if reveal else "client_viewed"
    audit.record(session, action, _actor(request), where(request), "client", client.id)
    return {
        "record": record,
        "c": client,
        "phone": phone if reveal else casework.mask_phone(phone),
        "revealed": reveal and phone is not None,
        "outcomes": OUTCOMES,
        "reason_required": sorted(REASON_REQUIRED),
        "who": lambda ref: casework.who(ref, record.emails),
        "may_text": casework.may_text(client),
        "text_limit": casework.MAX_TEXT_CHARS,
        "note_limit": casework.MAX_NOTE_CHARS,
        "engagement": await summary_of(session, client.id, utcnow()),
        "missed_reasons": taxonomy.MISSED_REASONS,
        "other_types": {t: taxonomy.TYPES[t] for t in OTHER_STAFF_TYPES},
        "words_limit": taxonomy.MAX_WORDS_CHARS,
        "program_quiet_hours": quiet_hours.shown(request.app[SETTINGS].tandem_quiet_hours),
        "discreet_text": discreet_text(client.language, request.app[SETTINGS].tandem_discreet_name),
        "check_ins": await check_in_schedule(
            session, client, tz, places, lambda ref: casework.who(ref, record.emails)
        ),
        "program_tz": tz,
    }


@routes.get("/dashboard/clients/{client_id}", name="dashboard.client")
@casework_page
async def client_page(request: web.Request) -> web.StreamResponse:
    async with request.app[SESSIONS]() as session, session.begin():
        context = await _client_page(
            request, session, request.match_info["client_id"], reveal=False
        )
    context["flash"] = (await get_session(request)).pop("flash", None)
    return await render("client.html", request, context)


@routes.post("/dashboard/clients/{client_id}/phone", name="dashboard.client_phone")
@casework_page
async def reveal_phone(request: web.Request) -> web.StreamResponse:
    """Her number in full, once, on this response only; audited as its own action."""
    async with request.app[SESSIONS]() as session, session.begin():
        context = await _client_page(request, session, request.match_info["client_id"], reveal=True)
    return await render("client.html", request, context)


@routes.post("/dashboard/clients/{client_id}/claim", name="dashboard.client_claim")
@casework_page
async def claim_client(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    client_id = request.match_info["client_id"]
    async with request.app[SESSIONS]() as session, session.begin():
        client = await casework.open_client(session, request[USER], client_id)
        await casework.claim(session, request[USER], client, utcnow())
        audit.record(
            session, "client_claimed", _actor(request), where(request), "client", client_id
        )
    path = "/dashboard/" if form.get("next") == "queue" else f"/dashboard/clients/{client_id}"
    return await _back_to(request, path, "She is in your list now.")


@routes.post("/dashboard/clients/{client_id}/assign", name="dashboard.client_assign")
@casework_page
async def assign_client(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    client_id = request.match_info["client_id"]
    raw = _field(form, "staff_id", 20)
    if raw and not raw.isdigit():
        raise CaseworkError("Choose an active case manager.")
    staff_id = int(raw) if raw else None
    async with request.app[SESSIONS]() as session, session.begin():
        client = await casework.open_client(session, request[USER], client_id)
        await casework.assign(session, client, staff_id, utcnow())
        audit.record(
            session, "client_assigned", _actor(request), where(request), "client", client_id
        )
    done = "She is assigned." if staff_id else "She is back in the unassigned queue."
    return await _back_to(request, f"/dashboard/clients/{client_id}", done)


@routes.post("/dashboard/clients/{client_id}/notes", name="dashboard.client_note")
@casework_page
async def add_note(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    client_id = request.match_info["client_id"]
    body = _field(form, "body", casework.MAX_NOTE_CHARS + 1)
    async with request.app[SESSIONS]() as session, session.begin():
        client = await casework.open_client(session, request[USER], client_id)
        note = casework.add_note(session, request[USER], client, body)
        await session.flush()
        audit.record(session, "note_added", _actor(request), where(request), "note", note.id)
    return await _back_to(request, f"/dashboard/clients/{client_id}", "Note added.")


@routes.post("/dashboard/clients/{client_id}/messages", name="dashboard.client_send")
@casework_page
async def send_text(request: web.Request) -> web.StreamResponse:
    """A text to her through Tandem's one outbound path: refused when she opted out or is
    do-not-contact, held through quiet hours as every proactive message is."""
    form = await request.post()
    client_id = request.match_info["client_id"]
    text = _field(form, "text", casework.MAX_TEXT_CHARS + 1).strip()
    if not text:
        raise CaseworkError("Write the text first.")
    if len(text) > casework.MAX_TEXT_CHARS:
        raise CaseworkError(f"A text from staff is at most {casework.MAX_TEXT_CHARS} characters.")
    async with request.app[SESSIONS]() as session:
        client = await casework.open_client(session, request[USER], client_id)
        refusal = casework.may_text(client)
    if refusal:
        raise CaseworkError(refusal, 409)
    actor, place = _actor(request), where(request)

    def audited(session: AsyncSession, messages: list[Message]) -> None:
        audit.record(session, "message_sent", actor, place, "message", messages[0].id)

    messages = await request.app[OUTBOUND].send(client_id, text, reason="staff", also=audited)
    first = messages[0]
    if first.state == "refused":  # she opted out, or was marked, since the check above
        async with request.app[SESSIONS]() as session:
            client = await casework.open_client(session, request[USER], client_id)
        raise CaseworkError(f"{casework.may_text(client) or 'Refused.'} Nothing was sent.", 409)
    if first.send_after is not None:
        done = f"It is quiet hours: she gets it at {first.send_after:%Y-%m-%d %H:%M} UTC."
    elif first.state == "failed":
        done = "Twilio did not take it (see the timeline)."
    else:
        done = "Sent."
    return await _back_to(request, f"/dashboard/clients/{client_id}", done)


@routes.post(
    "/dashboard/clients/{client_id}/do-not-contact", name="dashboard.client_do_not_contact"
)
@casework_page
async def do_not_contact(request: web.Request) -> web.StreamResponse:
    """Mark her do-not-contact (`to=on`) or clear it (`to=off`): staff texts and anything
    scheduled stop; her own texts, a crisis among them, are still answered."""
    form = await request.post()
    client_id = request.match_info["client_id"]
    to = _field(form, "to", 3)
    if to not in ("on", "off"):
        raise CaseworkError("Choose to mark or to clear do-not-contact.")
    on = to == "on"
    async with request.app[SESSIONS]() as session, session.begin():
        client = await casework.open_client(session, request[USER], client_id)
        await casework.set_do_not_contact(session, request[USER], client, on, utcnow())
        action = "do_not_contact_set" if on else "do_not_contact_cleared"
        audit.record(session, action, _actor(request), where(request), "client", client_id)
    done = (
        "She is do-not-contact now: Tandem starts no text to her."
        if on
        else "Do-not-contact is cleared."
    )
    return await _back_to(request, f"/dashboard/clients/{client_id}", done)


@routes.post(
    "/dashboard/clients/{client_id}/contact-preferences", name="dashboard.client_contact_prefs"
)
@casework_page
async def set_contact_preferences(request: web.Request) -> web.StreamResponse:
    """Her own hours and discreet mode, as she asked her case manager: the same rules as the
    bot's PUT /api/clients/{id}/contact-preferences, stamped with this staff member."""
    form = await request.post()
    client_id = request.match_info["client_id"]
    settings = request.app[SETTINGS]
    body = {
        "quiet_hours": _field(form, "quiet_hours", 20).strip() or None,
        "discreet": form.get("discreet") == "on",
        "changed_by": casework.staff_ref(request[USER]),
    }
    try:
        change = contact_prefs.validate_change(
            body, settings.tandem_quiet_hours, settings.tandem_timezone
        )
    except InvalidField as error:
        raise CaseworkError(f"Not changed: {error}") from error
    async with request.app[SESSIONS]() as session, session.begin():
        client = await casework.open_client(session, request[USER], client_id)
        contact_prefs.apply_change(client, change, utcnow())
        audit.record(
            session,
            "contact_preferences_changed",
            _actor(request),
            where(request),
            "client",
            client_id,
        )
    hours = client.contact_quiet_hours
    done = (
        f"Saved: no texts from Tandem {hours} (her hours) or in the program's quiet hours"
        if hours
        else "Saved: no hours of her own (the program's quiet hours still apply)"
    ) + ("; discreet texts." if client.discreet else ".")
    return await _back_to(request, f"/dashboard/clients/{client_id}", done)


@routes.post("/dashboard/clients/{client_id}/signals", name="dashboard.client_signal")
@casework_page
async def add_signal(request: web.Request) -> web.StreamResponse:
    """Something staff learnt of her (an appointment kept or missed and why, how she rates
    her provider relationship), as an engagement signal from staff."""
    form = await request.post()
    client_id = request.match_info["client_id"]
    signal_type = _field(form, "type", 40)
    async with request.app[SESSIONS]() as session, session.begin():
        client = await casework.open_client(session, request[USER], client_id)
        signal = await casework.add_signal(
            session,
            client,
            signal_type,
            _field(form, "value", 250),
            _field(form, "words", taxonomy.MAX_WORDS_CHARS + 1),
        )
        audit.record(session, "signal_added", _actor(request), where(request), "signal", signal.id)
    done = f"Recorded: {taxonomy.label(signal.type, signal.value)}."
    return await _back_to(request, f"/dashboard/clients/{client_id}", done)


@routes.post("/dashboard/referrals/{referral_id}/status", name="dashboard.referral_status")
@casework_page
async def referral_status(request: web.Request) -> web.StreamResponse:
    """Through ReferralService.change_status: the lifecycle's rules, one audit row."""
    form = await request.post()
    referral_id = request.match_info["referral_id"]
    if not referral_id.isdigit():
        raise NotFound(referral_id)
    user, actor, place = request[USER], _actor(request), where(request)

    async def may_act(session: AsyncSession, referral: Referral) -> None:
        await casework.open_client(session, user, referral.client_id)

    def audited(session: AsyncSession, referral: Referral) -> None:
        audit.record(session, "referral_status_changed", actor, place, "referral", referral.id)

    reason = _field(form, "reason", 1000) or None
    outcome = _field(form, "outcome", 40) or None
    try:
        record = await request.app[REFERRALS].change_status(
            int(referral_id),
            _field(form, "to", 40),
            reason,
            outcome,
            casework.staff_ref(user),
            check=may_act,
            also=audited,
        )
    except TransitionError as error:
        raise CaseworkError(str(error)) from error
    except (NoActiveConsent, ConcurrentChange) as error:
        raise CaseworkError(str(error), 409) from error
    client_id = record.referral.client_id
    done = f"The referral is {record.referral.status} now."
    return await _back_to(request, f"/dashboard/clients/{client_id}", done)


# Alerts --------------------------------------------------------------------------------


async def _alert(request: web.Request, session: AsyncSession) -> tuple[Alert, Client]:
    raw = request.match_info["alert_id"]
    alert = await session.get(Alert, int(raw)) if raw.isdigit() else None
    if alert is None:
        raise NotFound(raw)
    client = await casework.open_client(session, request[USER], alert.client_id)
    return alert, client


@routes.get("/dashboard/alerts/{alert_id}", name="dashboard.alert")
@casework_page
async def alert_page(request: web.Request) -> web.StreamResponse:
    async with request.app[SESSIONS]() as session, session.begin():
        alert, client = await _alert(request, session)
        audit.record(session, "client_viewed", _actor(request), where(request), "alert", alert.id)
        emails = await casework.staff_emails(session)
    context = {
        "alert": alert,
        "c": client,
        "name": casework.display_name(client),
        "by": casework.who(alert.acknowledged_by, emails),
        "age": casework.age_text(utcnow() - alert.created_at),
        "note_limit": 500,
    }
    return await render("alert.html", request, context)


@routes.post("/dashboard/alerts/{alert_id}/acknowledge", name="dashboard.alert_acknowledge")
@casework_page
async def acknowledge_alert(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    note = _field(form, "note", 1000)
    async with request.app[SESSIONS]() as session, session.begin():
        alert, _ = await _alert(request, session)
        try:
            done = await acknowledge(
                session, alert.id, by=casework.staff_ref(request[USER]), note=note, now=utcnow()
            )
        except InvalidAlert as error:
            raise CaseworkError(str(error)) from error
        if not done:
            raise CaseworkError("Someone already acknowledged this alert.", 409)
        audit.record(
            session, "alert_acknowledged", _actor(request), where(request), "alert", alert.id
        )
    return await _back_to(request, "/dashboard/", "Alert acknowledged.")


def sees_clients(request: web.Request) -> bool:
    return access.sees_clients(request[USER].role)

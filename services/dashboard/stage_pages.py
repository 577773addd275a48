"""Program staff edit the stage-message library (/dashboard/stage-messages): the list, and
one message's texts (English and Spanish), offset and on/off. A save that cannot be kept is
shown again with what she typed and the reason; a kept one writes one audit row in its
transaction and re-times the check-ins already scheduled for it (stage_library.retime). No
client record is shown here, so program staff may use it (access.py)."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.app_keys import SESSIONS, SETTINGS
from services.checkins import stage_library
from services.dashboard import audit, casework
from services.dashboard.guard import USER, render, where
from services.db.base import utcnow
from services.db.tables import StageMessage

routes = web.RouteTableDef()
PAGE = "/dashboard/stage-messages"
ANCHOR_WORDS = {"due_date": "her due date", "baby_birth_date": "her baby's birth date"}


def _field(form, name: str, limit: int = 2000) -> str:  # type: ignore[no-untyped-def]
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def when_text(message: StageMessage) -> str:
    """ "14 days after her baby's birth date", as staff read an offset."""
    days = message.offset_days
    anchor = ANCHOR_WORDS.get(message.anchor, message.anchor)
    if days == 0:
        return f"on {anchor}"
    side = "before" if days < 0 else "after"
    return f"{abs(days)} day{'' if abs(days) == 1 else 's'} {side} {anchor}"


@routes.get(PAGE, name="dashboard.stage_messages")
async def stage_messages(request: web.Request) -> web.StreamResponse:
    async with request.app[SESSIONS]() as session:
        library = await stage_library.library(session)
    rows = sorted(library.values(), key=lambda m: (m.anchor != "due_date", m.offset_days))
    context = {
        "messages": rows,
        "when": when_text,
        "flash": (await get_session(request)).pop("flash", None),
    }
    return await render("stage_messages.html", request, context)


class _NoSuchMessage(Exception):
    pass


async def _message(request: web.Request, session: AsyncSession) -> StageMessage:
    row = await session.scalar(
        select(StageMessage).where(StageMessage.key == request.match_info["key"])
    )
    if row is None:
        raise _NoSuchMessage
    return row


async def _not_found(request: web.Request) -> web.Response:
    context = {"title": "Not found", "message": "No such stage message."}
    return await render("message.html", request, context, status=404)


def _form_page(
    message: StageMessage,
    typed: dict[str, object],
    error: str | None = None,
    field: str | None = None,
) -> dict[str, object]:
    """The edit form's context: `typed` is what the form shows (the row, or what was typed)."""
    return {
        "m": message,
        "when": when_text,
        "typed": typed,
        "error": error,
        "error_field": field,
        "min_offset": stage_library.MIN_OFFSET,
        "max_offset": stage_library.MAX_OFFSET,
    }


@routes.get(PAGE + "/{key}", name="dashboard.stage_message")
async def stage_message(request: web.Request) -> web.StreamResponse:
    try:
        async with request.app[SESSIONS]() as session:
            message = await _message(request, session)
    except _NoSuchMessage:
        return await _not_found(request)
    typed = {
        "text_en": message.text_en,
        "text_es": message.text_es,
        "offset_days": str(message.offset_days),
        "active": message.active,
    }
    return await render("stage_message.html", request, _form_page(message, typed))


@routes.post(PAGE + "/{key}", name="dashboard.stage_message_post")
async def save_stage_message(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    typed: dict[str, object] = {
        "text_en": _field(form, "text_en"),
        "text_es": _field(form, "text_es"),
        "offset_days": _field(form, "offset_days", 20),
        "active": form.get("active") == "on",
    }
    try:
        return await _save(request, typed)
    except _NoSuchMessage:
        return await _not_found(request)


async def _save(request: web.Request, typed: dict[str, object]) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    user = request[USER]
    now = utcnow()
    async with request.app[SESSIONS]() as session, session.begin():
        message = await _message(request, session)
        try:
            edit = stage_library.validate_edit(
                str(typed["text_en"]),
                str(typed["text_es"]),
                str(typed["offset_days"]),
                bool(typed["active"]),
                settings.tandem_program_name,
            )
        except stage_library.InvalidEdit as error:
            page = _form_page(message, typed, str(error), error.field)
            return await render("stage_message.html", request, page, status=400)
        retime = (edit.offset_days, edit.active) != (message.offset_days, message.active)
        message.text_en, message.text_es = edit.text_en, edit.text_es
        message.offset_days, message.active = edit.offset_days, edit.active
        message.updated_at, message.updated_by = now, casework.staff_ref(user)
        scheduled = (
            await stage_library.retime(session, message, now, settings.tandem_timezone)
            if retime
            else None
        )
        audit.record(
            session,
            "stage_message_changed",
            audit.Actor(id=user.id, role=user.role),
            where(request),
            "stage_message",
            message.id,
        )
    done = f"Saved: {message.key.replace('_', ' ')}."  # as the list names it
    if scheduled is not None:
        count = (
            f"{scheduled} check-in{'' if scheduled == 1 else 's'}" if scheduled else "No check-ins"
        )
        done += f" {count} scheduled for it now."
    (await get_session(request))["flash"] = ["done", done]
    raise web.HTTPSeeOther(PAGE)

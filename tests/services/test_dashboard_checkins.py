"""Check-ins on the dashboard: her page shows her hours and discreet mode and lets her case
manager change them (one audit row each); the send form warns when she asked for discreet
texts; program staff edit the stage-message library, keep what they typed when a save is
refused, and every kept change is audited and reaches check-ins already scheduled."""

from __future__ import annotations

import html
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from services.app_keys import SESSIONS
from services.checkins import stage_library
from services.db.base import utcnow
from services.db.tables import CheckIn, Client, StageMessage
from services.gateway.fake_twilio_state import FakeTwilio
from tests.services import casework_support
from tests.services.casework_support import (
    ADMIN,
    CM,
    CM2,
    PHONE,
    PROGRAM,
    as_,
    assign,
    form,
    her_page,
    her_row,
    on_her_page,
    one_new_audit_row,
    staff_id,
)
from tests.services.dashboard_support import audit_rows
from tests.services.referral_support import add_woman

twilio, app = casework_support.twilio, casework_support.app  # the fixtures

LIST = "/dashboard/stage-messages"


async def set_preferences(client: TestClient, page: str, **fields: str):  # type: ignore[no-untyped-def]
    """Her contact-preferences form on her page, as sent."""
    return await form(client, "/dashboard/password", f"{page}/contact-preferences", **fields)


async def library_row(client: TestClient, key: str) -> StageMessage:
    async with client.app[SESSIONS]() as session:
        row = await session.scalar(select(StageMessage).where(StageMessage.key == key))
        assert row is not None
        return row


# Her page ------------------------------------------------------------------------------


async def test_her_case_manager_sets_her_hours_and_discreet_mode_audited_once(
    app: TestClient,
) -> None:
    her, page = await on_her_page(app, name="Rosa")
    shown = await (await app.get(page)).text()
    assert "none of her own" in shown and "discreet-warning" not in shown
    before = len(await audit_rows(app))
    response = await set_preferences(app, page, quiet_hours="17:00-08:00", discreet="on")
    assert response.status == 303
    await one_new_audit_row(app, before, "contact_preferences_changed")
    row = await her_row(app, her)
    assert (row.contact_quiet_hours, row.discreet) == ("17:00-08:00", True)
    assert row.contact_prefs_changed_by == f"staff:{await staff_id(app, CM)}"

    shown = html.unescape(await (await app.get(page)).text())
    assert "Saved: no texts from Tandem 17:00-08:00" in shown
    # The app's own quiet hours are off here (00:00-00:00): said as such.
    assert "no texts from Tandem 17:00-08:00 (and the program's quiet hours, none)" in shown
    assert "Hi, it's T. Reply 1 if it's a good time to talk." in shown
    assert f"by {CM}" in shown
    assert "She asked for discreet texts" in shown  # the warning above the send form

    # Unticked and blank: back to none, not discreet.
    before = len(await audit_rows(app))
    await set_preferences(app, page, quiet_hours="")
    await one_new_audit_row(app, before, "contact_preferences_changed")
    row = await her_row(app, her)
    assert (row.contact_quiet_hours, row.discreet) == (None, False)


async def test_hours_that_cannot_be_kept_are_refused_with_the_reason_and_change_nothing(
    app: TestClient,
) -> None:
    her, page = await on_her_page(app)
    before = len(await audit_rows(app))
    for typed, reason in (("after five", "21:00-08:00"), ("17:00-8:00", "24-hour times")):
        response = await set_preferences(app, page, quiet_hours=typed)
        assert response.status == 400
        assert reason in await response.text()
    assert len(await audit_rows(app)) == before
    assert (await her_row(app, her)).contact_prefs_changed_at is None


async def test_another_case_managers_client_and_program_staff_are_refused(
    app: TestClient,
) -> None:
    her = await add_woman(app, phone=PHONE)
    await assign(app, her, CM2)
    page = her_page(her)
    await as_(app, CM)
    response = await set_preferences(app, page, discreet="on")
    assert response.status == 403
    await as_(app, PROGRAM)
    response = await set_preferences(app, page, discreet="on")
    assert response.status == 403
    assert not (await her_row(app, her)).discreet


async def test_a_staff_text_waits_for_the_end_of_her_hours(
    app: TestClient, twilio: tuple[FakeTwilio, str]
) -> None:
    her = await add_woman(app, phone=PHONE)
    async with app.app[SESSIONS]() as session, session.begin():
        # Her hours began 5 minutes ago and end in an hour, whatever time the test runs at.
        row = await session.get_one(Client, her)
        now = utcnow().astimezone(ZoneInfo("America/New_York"))
        start, end = now - timedelta(minutes=5), now + timedelta(minutes=60)
        row.contact_quiet_hours = f"{start:%H:%M}-{end:%H:%M}"
    await as_(app, CM)
    page = f"/dashboard/clients/{her}"
    response = await form(app, page, f"{page}/messages", text="Hi, it's Sam from Tandem.")
    assert response.status == 303
    shown = await (await app.get(page)).text()
    assert "quiet hours: she gets it at" in shown
    assert twilio[0].received == []


# The stage-message library -------------------------------------------------------------


async def test_program_staff_see_the_library_and_case_managers_do_not(app: TestClient) -> None:
    await as_(app, PROGRAM)
    shown = html.unescape(await (await app.get(LIST)).text())
    assert "safe sleep" in shown and "5 days after her baby's birth date" in shown
    assert "56 days before her due date" in shown
    assert 'href="/dashboard/stage-messages"' in shown  # in the navigation
    await as_(app, CM)
    assert (await app.get(LIST, allow_redirects=False)).status == 403
    await as_(app, ADMIN)
    assert (await app.get(LIST)).status == 200


async def test_an_edit_is_audited_and_reaches_her_scheduled_check_in(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE)
    async with app.app[SESSIONS]() as session, session.begin():
        client = await session.get_one(Client, her)
        client.baby_birth_date = utcnow().date()
        await stage_library.schedule_for(session, client, utcnow(), "America/New_York")
    await as_(app, PROGRAM)
    page = f"{LIST}/safe_sleep"
    before = len(await audit_rows(app))
    response = await form(
        app,
        page,
        page,
        text_en="Safe sleep: on the back, in a crib, nothing else in it.",
        text_es="Sueño seguro: boca arriba, en su cuna, sin nada más.",
        offset_days="6",
        active="on",
    )
    assert response.status == 303
    await one_new_audit_row(app, before, "stage_message_changed")
    row = await library_row(app, "safe_sleep")
    assert (row.text_en, row.offset_days, row.active) == (
        "Safe sleep: on the back, in a crib, nothing else in it.",
        6,
        True,
    )
    assert row.updated_by == f"staff:{await staff_id(app, PROGRAM)}"
    shown = await (await app.get(LIST)).text()
    assert "Saved: safe sleep. 1 check-in scheduled for it now." in html.unescape(shown)
    async with app.app[SESSIONS]() as session:
        pending = [
            c
            for c in await session.scalars(
                select(CheckIn).where(CheckIn.client_id == her, CheckIn.state == "pending")
            )
            if c.payload.get("key") == "safe_sleep"
        ]
    birth = utcnow().date()
    [moved] = pending
    assert moved.due_at == stage_library.due_at(row, await her_row(app, her), "America/New_York")
    assert moved.due_at.astimezone(ZoneInfo("America/New_York")).date() == (
        birth + timedelta(days=6)
    )

    # Switched off: her pending one is dropped.
    await form(app, page, page, text_en=row.text_en, text_es=row.text_es, offset_days="6")
    assert not (await library_row(app, "safe_sleep")).active
    async with app.app[SESSIONS]() as session:
        states = {
            c.state
            for c in await session.scalars(select(CheckIn).where(CheckIn.client_id == her))
            if c.payload.get("key") == "safe_sleep"
        }
    assert states == {"cancelled"}


async def test_a_refused_save_keeps_what_she_typed_and_says_why(app: TestClient) -> None:
    await as_(app, PROGRAM)
    page = f"{LIST}/self_care"
    original = await library_row(app, "self_care")
    too_long = "Las semanas después del parto son difíciles para todas. " * 4
    before = len(await audit_rows(app))
    response = await form(
        app, page, page, text_en="A new English text.", text_es=too_long, offset_days="24"
    )
    assert response.status == 400
    shown = html.unescape(await response.text())
    assert "Not saved: The Spanish text is longer than 2 SMS segments" in shown
    assert "A new English text." in shown and too_long.strip() in shown
    assert 'id="text_es" name="text_es"' in shown and 'aria-invalid="true"' in shown

    for fields, reason in (
        ({"text_en": "", "text_es": "Hola.", "offset_days": "3"}, "The English text is empty."),
        ({"text_en": "Hi.", "text_es": "Hola.", "offset_days": "soon"}, "whole number of days"),
        ({"text_en": "Hi.", "text_es": "Hola.", "offset_days": "9999"}, "between -300 and 730"),
        # unprompted, on a phone someone else may see: nothing that tells she is in treatment
        (
            {"text_en": "Is your methadone dose ok?", "text_es": "Hola.", "offset_days": "3"},
            "The English text says 'methadone'. Stage messages go out without her asking",
        ),
        (
            {"text_en": "Hi.", "text_es": "¿Y la abstinencia del bebé?", "offset_days": "3"},
            "The Spanish text says 'abstinencia'",
        ),
    ):
        response = await form(app, page, page, **fields)
        assert response.status == 400 and reason in html.unescape(await response.text())
    assert len(await audit_rows(app)) == before
    assert (await library_row(app, "self_care")).text_en == original.text_en


async def test_an_unknown_message_is_not_found(app: TestClient) -> None:
    await as_(app, PROGRAM)
    assert (await app.get(f"{LIST}/no_such_key")).status == 404
    response = await form(app, LIST, f"{LIST}/no_such_key", text_en="x", text_es="y")
    assert response.status == 404

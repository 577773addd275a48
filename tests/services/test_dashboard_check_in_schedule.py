"""Her check-in schedule on her page: how often she wants one and who chose it, what is
waiting to go out (in plain words, due in program time), and the last ones sent with what
she got, a discreet one shown as the stand-in it was. Program staff still see no client
record."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from services.app_keys import PHONES, SESSIONS, SETTINGS
from services.checkins import follow_ups, regular
from services.checkins.dispatcher import CheckInDispatcher
from services.db.base import utcnow
from services.db.tables import Client, Service
from services.gateway.fake_twilio_state import FakeTwilio
from services.gateway.outbound import OutboundSender
from tests.services import casework_support
from tests.services.casework_support import (
    CM,
    PHONE,
    PROGRAM,
    add_referral,
    as_,
    assign,
    staff_id,
)
from tests.services.checkins_support import Clock
from tests.services.referral_support import BUPRENORPHINE, add_woman

twilio, app = casework_support.twilio, casework_support.app  # the fixtures
PROGRAM_TZ = ZoneInfo("America/New_York")  # the default TANDEM_TIMEZONE


async def dispatch(client: TestClient, at: datetime) -> int:
    """One round of the real dispatcher at `at`, through the fake Twilio."""
    app_ = client.app
    clock = Clock(at)
    sender = OutboundSender(app_[SETTINGS], app_[SESSIONS], app_[PHONES], clock=clock)
    return await CheckInDispatcher(app_[SETTINGS], app_[SESSIONS], sender, clock).dispatch_due()


async def page_of(client: TestClient, her: str) -> str:
    response = await client.get(f"/dashboard/clients/{her}")
    assert response.status == 200
    return html.unescape(await response.text())


def in_program_time(at: datetime) -> str:
    return at.astimezone(PROGRAM_TZ).strftime("%Y-%m-%d %H:%M")


async def test_her_page_shows_her_cadence_what_is_pending_and_what_was_sent(
    app: TestClient, twilio: tuple[FakeTwilio, str]
) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    await assign(app, her, CM)
    await as_(app, CM)
    shown = await page_of(app, her)
    assert "not chosen: follow-ups only" in shown and "Nothing scheduled." in shown
    assert "None sent yet." in shown

    now = utcnow()
    referral = await add_referral(app, her, days_ago=2)
    async with app.app[SESSIONS]() as session, session.begin():
        client = await session.get_one(Client, her)
        await regular.set_cadence(session, client, "weekly", "bot", now - timedelta(days=1))
        follow_ups.after_referral_requested(session, her, referral, now - timedelta(days=2))
        place = await session.scalar(select(Service.name).where(Service.id == BUPRENORPHINE))
    assert await dispatch(app, now) == 1  # the referral follow-up, due now

    shown = await page_of(app, her)
    assert "once a week, plus follow-ups" in shown
    assert "chosen by her, in a text to the bot" in shown
    due = now + timedelta(days=6)
    assert f"{in_program_time(due)} EST</td><td>Regular check-in (how are you doing?)" in shown
    assert f"Referral follow-up (were you able to reach them?): {place}" in shown
    assert "Checking in about your referral: were you able to reach them?" in shown
    assert "discreet stand-in" not in shown

    # She asks for discreet texts; a hard day's follow-up goes out as the stand-in, and what
    # is still waiting says it will too.
    async with app.app[SESSIONS]() as session, session.begin():
        client = await session.get_one(Client, her)
        client.discreet = True
        await follow_ups.after_signal(session, her, "craving", now - timedelta(days=1))
    assert await dispatch(app, now + timedelta(minutes=1)) == 1
    assert twilio[0].messages[-1].body == "Hi, it's T. Reply 1 if it's a good time to talk."

    shown = await page_of(app, her)
    sent = shown.split("sent, newest first")[1]
    assert sent.index("After a craving or a slip") < sent.index("Referral follow-up")
    assert (
        "<strong>discreet stand-in, not the check-in's words:</strong> Hi, it's T. Reply 1 "
        "if it's a good time to talk." in sent
    )
    assert "Regular check-in (how are you doing?) (goes out as the discreet stand-in)" in shown

    # Her case manager pauses them: her page says who, and that what waits will not go out.
    async with app.app[SESSIONS]() as session, session.begin():
        client = await session.get_one(Client, her)
        await follow_ups.after_signal(session, her, "appointment_missed", now)
        by = f"staff:{await staff_id(app, CM)}"
        await regular.set_cadence(session, client, "paused", by, now)
    shown = await page_of(app, her)
    assert "paused: Tandem starts no check-in" in shown and f"chosen by {CM}" in shown
    assert "Regular check-in (how are you doing?)" not in shown.split("sent, newest first")[0]
    missed = shown.split("After a missed appointment")[1].split("</tr>")[0]
    assert "will not go out: she paused check-ins" in missed


async def test_program_staff_still_see_no_client_record(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    async with app.app[SESSIONS]() as session, session.begin():
        client = await session.get_one(Client, her)
        await regular.set_cadence(session, client, "weekly", "bot", utcnow())
    await as_(app, PROGRAM)
    response = await app.get(f"/dashboard/clients/{her}", allow_redirects=False)
    assert response.status == 403
    assert "Regular check-in" not in await response.text()

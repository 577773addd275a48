"""Do-not-contact: a case manager marks it on her page (and clears it), one audit row each;
from then on nothing Tandem starts reaches her (a staff text, anything scheduled), refused by
the one outbound sender with the reason on the page; her own texts are still answered, a
crisis above all, and replies to her still go out."""

from __future__ import annotations

import secrets

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from services.app_keys import SESSIONS
from services.db.tables import Client, Message
from services.gateway.fake_twilio_state import FakeTwilio
from tests.services import casework_support, fixtures_twilio
from tests.services.casework_support import (
    ADMIN,
    CM,
    CM2,
    PHONE,
    PROGRAM,
    as_,
    assign,
    form,
    her_row,
    on_her_page,
    one_new_audit_row,
    staff_id,
)
from tests.services.conftest import FakeRasa
from tests.services.dashboard_support import audit_rows, csrf
from tests.services.fixtures_twilio import LATE_EVENING, NEXT_MORNING, Stack
from tests.services.referral_support import add_woman
from tests.services.test_gateway_resilience import say

twilio, app = casework_support.twilio, casework_support.app  # the fixtures
stack = fixtures_twilio.stack


async def mark(client: TestClient, her: str, to: str = "on"):  # type: ignore[no-untyped-def]
    page = f"/dashboard/clients/{her}"
    return await form(client, page, f"{page}/do-not-contact", to=to)


# On her page ---------------------------------------------------------------------------


async def test_marking_her_stops_staff_texts_and_is_audited_once(
    app: TestClient, twilio: tuple[FakeTwilio, str]
) -> None:
    her, page = await on_her_page(app, name="Rosa")
    shown = await (await app.get(page)).text()
    assert "Mark do-not-contact" in shown and f'action="{page}/messages"' in shown
    token = await csrf(app, page)  # her page with the text form, open before she is marked
    before = len(await audit_rows(app)) + 1  # the page view that gave the token
    marked = await mark(app, her)
    assert marked.status == 303 and marked.headers["Location"] == page
    await one_new_audit_row(app, before, "do_not_contact_set")
    row = await her_row(app, her)
    assert (
        row.do_not_contact and row.do_not_contact_changed_by == f"staff:{await staff_id(app, CM)}"
    )
    assert row.do_not_contact_changed_at is not None

    shown = await (await app.get(page)).text()
    assert "She is do-not-contact now" in shown and "Clear do-not-contact" in shown
    assert f"marked {row.do_not_contact_changed_at:%Y-%m-%d %H:%M} UTC by {CM}" in shown
    assert "her own texts are still answered" in shown
    assert f'action="{page}/messages"' not in shown  # no form to text her

    # The form she still had open is refused too, with the reason; nothing is stored or sent.
    before = len(await audit_rows(app))
    refused = await app.post(
        f"{page}/messages",
        data={"csrf_token": token, "text": "Checking in"},
        allow_redirects=False,
    )
    assert refused.status == 409 and "She is do-not-contact" in await refused.text()
    assert len(await audit_rows(app)) == before
    async with app.app[SESSIONS]() as session:
        assert await session.scalar(select(Message.id)) is None
    assert twilio[0].received == []


async def test_clearing_it_lets_staff_text_her_again_and_is_audited_once(
    app: TestClient, twilio: tuple[FakeTwilio, str]
) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    await as_(app, CM)
    assert (await mark(app, her)).status == 303
    await as_(app, ADMIN)  # admins may clear it as well
    page = f"/dashboard/clients/{her}"
    before = len(await audit_rows(app)) + 1
    cleared = await mark(app, her, "off")
    assert cleared.status == 303
    await one_new_audit_row(app, before, "do_not_contact_cleared")
    row = await her_row(app, her)
    assert not row.do_not_contact
    assert row.do_not_contact_changed_by == f"staff:{await staff_id(app, ADMIN)}"
    shown = await (await app.get(page)).text()
    assert "Do-not-contact is cleared." in shown and "(cleared " in shown and ADMIN in shown
    sent = await form(app, page, f"{page}/messages", text="Hello again")
    assert sent.status == 303
    assert [m.body for m in twilio[0].received] == ["Hello again"]


async def test_marking_twice_or_clearing_when_not_marked_changes_and_audits_nothing(
    app: TestClient,
) -> None:
    her, page = await on_her_page(app)
    await app.get(page)
    before = len(await audit_rows(app))
    assert (
        await form(app, "/dashboard/password", f"{page}/do-not-contact", to="off")
    ).status == 409
    assert (await form(app, "/dashboard/password", f"{page}/do-not-contact", to="x")).status == 400
    assert len(await audit_rows(app)) == before
    assert (await mark(app, her)).status == 303
    before = len(await audit_rows(app))
    again = await form(app, "/dashboard/password", f"{page}/do-not-contact", to="on")
    assert again.status == 409 and "already do-not-contact" in await again.text()
    assert len(await audit_rows(app)) == before


@pytest.mark.parametrize(
    ("email", "status"),
    [(PROGRAM, 403), (CM2, 403), (None, 403)],  # None: a case manager with no CSRF token
)
async def test_who_may_not_mark_her(app: TestClient, email: str | None, status: int) -> None:
    her = await add_woman(app, phone=PHONE)
    await assign(app, her, CM)  # hers: another case manager may not touch her record
    await as_(app, email or CM)
    before = len(await audit_rows(app))
    path = f"/dashboard/clients/{her}/do-not-contact"
    if email is None:
        missing = await app.post(path, data={"to": "on"}, allow_redirects=False)
        wrong = await app.post(path, data={"to": "on", "csrf_token": "no"}, allow_redirects=False)
        assert missing.status == wrong.status == status
    else:
        assert (await form(app, "/dashboard/password", path, to="on")).status == status
    assert len(await audit_rows(app)) == before
    assert not (await her_row(app, her)).do_not_contact


# The one outbound sender ---------------------------------------------------------------


async def set_do_not_contact(stack: Stack, client_id: str) -> None:
    async with stack.app[SESSIONS]() as session, session.begin():
        (await session.get_one(Client, client_id)).do_not_contact = True


async def her_text(stack: Stack, client_id: str, body: str = "are you there?") -> int:
    async with stack.app[SESSIONS]() as session, session.begin():
        message = Message(
            client_id=client_id,
            direction="inbound",
            twilio_sid="SM" + secrets.token_hex(16),
            body=body,
            state="pending_replay",
        )
        session.add(message)
    return message.id


async def test_the_sender_refuses_what_tandem_starts_and_still_answers_her(
    stack: Stack,
) -> None:
    client_id = await stack.new_client()
    await set_do_not_contact(stack, client_id)
    [refused] = await stack.sender().send(client_id, "Check-in: how are you today?")
    assert refused.state == "refused" and stack.fake.received == []
    # The bot's replies to a text of hers (replayed after an outage) still go out.
    asked = await her_text(stack, client_id)
    await stack.sender().deliver_replies(client_id, ["Call or text 988 any time."], asked)
    assert [r.body for r in stack.fake.received] == ["Call or text 988 any time."]


async def test_send_due_rechecks_do_not_contact_but_lets_a_held_reply_go(stack: Stack) -> None:
    client_id = await stack.new_client()
    asked = await her_text(stack, client_id)
    stack.clock.now = LATE_EVENING  # both are held through quiet hours
    [outreach] = await stack.sender().send(client_id, "Morning check-in")
    [reply] = await stack.sender().send(client_id, "Here for you.", in_reply_to_id=asked)
    assert outreach.state == reply.state == "scheduled"
    await set_do_not_contact(stack, client_id)  # marked during the night
    stack.clock.now = NEXT_MORNING
    assert await stack.sender().send_due() == 1
    assert [r.body for r in stack.fake.received] == ["Here for you."]
    assert (await stack.message(outreach.id)).state == "refused"


# Her own texts -------------------------------------------------------------------------


async def test_she_is_still_answered_and_a_crisis_still_gets_the_crisis_lines(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.echo = True
    assert await say(client, "hi") == ["got: hi"]
    async with client.app[SESSIONS]() as session, session.begin():
        her = await session.scalar(select(Client))
        assert her is not None
        her.do_not_contact = True
    assert await say(client, "are you there") == ["got: are you there"]
    fake.up = False  # even when the bot is down, the gateway answers a crisis itself
    crisis = await say(client, "i took too many pills")
    assert crisis[0].startswith("Call 911 now") and "988" in " ".join(crisis)

"""The case manager's queue and her page, through the real pages: each page for each role,
one woman's record only for her case manager (or unassigned, or an admin), CSRF on every form,
exactly one audit row per action, texts through the outbound path (refused when she opted out
or is do-not-contact, held in quiet hours), her phone masked unless revealed (audited), her
words escaped, and the queue's order and urgent count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from services.app_keys import SESSIONS
from services.db.base import utcnow
from services.db.tables import (
    Alert,
    Client,
    ClientNote,
    Message,
    Referral,
    ReferralStatusChange,
)
from services.gateway.fake_twilio_state import FakeTwilio
from services.settings import Settings
from tests.services import casework_support
from tests.services.casework_support import (
    ADMIN,
    CM,
    CM2,
    PHONE,
    PROGRAM,
    add_alert,
    add_referral,
    as_,
    assign,
    form,
    on_her_page,
    one_new_audit_row,
    staff_id,
)
from tests.services.dashboard_support import add_staff, audit_rows, csrf, dashboard
from tests.services.referral_support import add_woman, inbound

twilio, app = casework_support.twilio, casework_support.app  # the fixtures


# Roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("email", "sees"), [(CM, True), (ADMIN, True), (PROGRAM, False)])
async def test_each_page_for_each_role(app: TestClient, email: str, sees: bool) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    alert = await add_alert(app, her, "crisis")
    await as_(app, email)
    home = await app.get("/dashboard/")
    text = await home.text()
    assert home.status == 200
    assert ("<h1>Queue</h1>" in text) is sees
    assert ("Rosa" in text) is sees  # program staff see no client records
    expected = 200 if sees else 403
    assert (await app.get(f"/dashboard/clients/{her}")).status == expected
    assert (await app.get(f"/dashboard/alerts/{alert}")).status == expected
    page = "/dashboard/password"  # a page every role can open, for a CSRF token
    assigned = await form(app, page, f"/dashboard/clients/{her}/assign", staff_id="")
    assert assigned.status == (409 if email == ADMIN else 403)  # already unassigned
    for path, fields in (
        (f"/dashboard/clients/{her}/claim", {}),
        (f"/dashboard/clients/{her}/notes", {"body": "x"}),
        (f"/dashboard/clients/{her}/phone", {}),
        (f"/dashboard/alerts/{alert}/acknowledge", {"note": "x"}),
    ):
        response = await form(app, page, path, **fields)
        assert (response.status != 403) is sees, path


async def test_a_case_manager_cannot_open_another_case_managers_client(app: TestClient) -> None:
    hers = await add_woman(app, phone=PHONE, name="Rosa")
    alert = await add_alert(app, hers, "crisis")
    referral = await add_referral(app, hers)
    await assign(app, hers, CM2)
    await as_(app, CM)
    before = len(await audit_rows(app))
    queue = await (await app.get("/dashboard/")).text()
    assert "Rosa" not in queue and "(0 urgent)" in queue
    assert (await app.get(f"/dashboard/clients/{hers}")).status == 403
    assert (await app.get(f"/dashboard/alerts/{alert}")).status == 403
    page = "/dashboard/password"
    for path, fields in (
        (f"/dashboard/clients/{hers}/phone", {}),
        (f"/dashboard/clients/{hers}/claim", {}),
        (f"/dashboard/clients/{hers}/notes", {"body": "hello"}),
        (f"/dashboard/clients/{hers}/messages", {"text": "hello"}),
        (f"/dashboard/referrals/{referral}/status", {"to": "accepted"}),
        (f"/dashboard/alerts/{alert}/acknowledge", {"note": "called her"}),
    ):
        assert (await form(app, page, path, **fields)).status == 403, path
    assert len(await audit_rows(app)) == before  # nothing done, nothing audited
    # Her own case manager and an admin open her page.
    for email in (CM2, ADMIN):
        await as_(app, email)
        assert (await app.get(f"/dashboard/clients/{hers}")).status == 200


async def test_every_new_form_needs_the_csrf_token(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE)
    alert = await add_alert(app, her, "crisis")
    referral = await add_referral(app, her)
    await as_(app, ADMIN)
    before = len(await audit_rows(app))
    for path, fields in (
        (f"/dashboard/clients/{her}/phone", {}),
        (f"/dashboard/clients/{her}/claim", {}),
        (f"/dashboard/clients/{her}/assign", {"staff_id": str(await staff_id(app, CM))}),
        (f"/dashboard/clients/{her}/notes", {"body": "hello"}),
        (f"/dashboard/clients/{her}/messages", {"text": "hello"}),
        (f"/dashboard/referrals/{referral}/status", {"to": "accepted"}),
        (f"/dashboard/alerts/{alert}/acknowledge", {"note": "called her"}),
    ):
        missing = await app.post(path, data=fields, allow_redirects=False)
        wrong = await app.post(
            path, data={**fields, "csrf_token": "not-the-token"}, allow_redirects=False
        )
        assert missing.status == wrong.status == 403, path
    assert len(await audit_rows(app)) == before
    async with app.app[SESSIONS]() as session:
        assert (await session.get_one(Alert, alert)).status == "open"
        assert (await session.get_one(Client, her)).assigned_to is None
        assert (await session.get_one(Referral, referral)).status == "requested"
        assert await session.scalar(select(ClientNote.id)) is None
        assert await session.scalar(select(Message.id)) is None


# The queue -----------------------------------------------------------------------------


async def test_the_queue_puts_a_crisis_first_and_counts_urgent_alerts(app: TestClient) -> None:
    asked = await add_woman(app, phone="+14135550101", name="Asked")
    crisis = await add_woman(app, phone="+14135550102", name="Crisis")
    new = await add_woman(app, phone="+14135550103", name="Newref")
    waiting = await add_woman(app, phone="+14135550104", name="Waiting")
    quiet = await add_woman(app, phone="+14135550105", name="Quiet")
    await add_alert(app, asked, "human_requested", minutes_ago=30)  # older, but not a crisis
    await add_alert(app, crisis, "crisis", minutes_ago=1)
    await add_referral(app, new, "requested", days_ago=0.1)
    await add_referral(app, waiting, "accepted", days_ago=3)
    async with app.app[SESSIONS]() as session, session.begin():
        row = await session.get_one(Client, quiet)
        row.last_inbound_at = utcnow() - timedelta(days=20)
    await assign(app, waiting, CM)
    await as_(app, CM)
    page = await (await app.get("/dashboard/")).text()
    assert "<title>(2 urgent) Queue" in page and "2 open urgent alerts." in page
    # Live by a same-origin script (no timed reload); without scripts, a link reloads it.
    assert 'http-equiv="refresh"' not in page
    assert '<script src="/dashboard/static/live.js" defer></script>' in page
    assert '<a href="/dashboard/">Reload the queue</a>' in page
    names = ("Crisis", "Asked", "Newref", "Waiting", "Quiet")
    order = [page.index(f">{name}</a>") for name in names]
    assert order == sorted(order)
    assert "30 min" in page and "3 d" in page
    assert f"{CM} (you)" in page  # who has her
    # Acknowledging the crisis takes it out of the count.
    crisis_alert = await add_alert(app, crisis, "crisis")
    page = await (await app.get("/dashboard/")).text()
    assert "<title>(3 urgent) Queue" in page
    done = await form(
        app,
        f"/dashboard/alerts/{crisis_alert}",
        f"/dashboard/alerts/{crisis_alert}/acknowledge",
        note="Called her, she is safe",
    )
    assert done.status == 303
    assert "<title>(2 urgent) Queue" in await (await app.get("/dashboard/")).text()


# Actions: one audit row each -----------------------------------------------------------


async def test_acknowledge_an_alert_needs_a_note_and_audits_once(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    alert = await add_alert(app, her, "crisis")
    await as_(app, CM)
    page = f"/dashboard/alerts/{alert}"
    before = len(await audit_rows(app))
    assert (await form(app, page, f"{page}/acknowledge", note="   ")).status == 400
    before += 1  # the alert page viewed (client_viewed) to get the form
    assert len(await audit_rows(app)) == before
    before = len(await audit_rows(app)) + 1
    done = await form(app, page, f"{page}/acknowledge", note="Called her; <b>safe</b> now")
    assert done.status == 303 and done.headers["Location"] == "/dashboard/"
    await one_new_audit_row(app, before, "alert_acknowledged")
    async with app.app[SESSIONS]() as session:
        row = await session.get_one(Alert, alert)
    assert row.status == "acknowledged" and row.acknowledged_at is not None
    assert row.acknowledged_by == f"staff:{await staff_id(app, CM)}"
    her_page = await (await app.get(f"/dashboard/clients/{her}")).text()
    assert "Called her; &lt;b&gt;safe&lt;/b&gt; now" in her_page and CM in her_page
    again = await form(app, page, f"{page}/acknowledge", note="again")
    assert again.status == 409


async def test_claim_and_assign_audit_once_each(app: TestClient) -> None:
    her, page = await on_her_page(app, name="Rosa")
    before = len(await audit_rows(app)) + 1  # the page view
    claimed = await form(app, page, f"{page}/claim")
    assert claimed.status == 303
    await one_new_audit_row(app, before, "client_claimed")
    async with app.app[SESSIONS]() as session:
        assert (await session.get_one(Client, her)).assigned_to == await staff_id(app, CM)
    # Another case manager can no longer open her; an admin gives her to that one.
    await as_(app, CM2)
    assert (await app.get(page)).status == 403
    await as_(app, ADMIN)
    before = len(await audit_rows(app)) + 1  # the page view
    cm2 = await staff_id(app, CM2)
    assigned = await form(app, page, f"{page}/assign", staff_id=str(cm2))
    assert assigned.status == 303
    await one_new_audit_row(app, before, "client_assigned")
    await as_(app, CM2)
    assert (await app.get(page)).status == 200
    await as_(app, CM)
    assert (await app.get(page)).status == 403


async def test_a_status_change_goes_through_the_lifecycle_and_audits_once(
    app: TestClient,
) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    referral = await add_referral(app, her, "requested")
    await as_(app, CM)
    page = f"/dashboard/clients/{her}"
    path = f"/dashboard/referrals/{referral}/status"
    # The lifecycle's rules: a reason for rejected; requested cannot become completed.
    no_reason = await form(app, page, path, to="rejected")
    assert no_reason.status == 400 and "reason is required" in await no_reason.text()
    assert (await form(app, page, path, to="completed", outcome="got_help")).status == 400
    before = len(await audit_rows(app)) + 1
    moved = await form(app, page, path, to="accepted", reason="called the clinic")
    assert moved.status == 303 and moved.headers["Location"] == page
    await one_new_audit_row(app, before, "referral_status_changed")
    async with app.app[SESSIONS]() as session:
        assert (await session.get_one(Referral, referral)).status == "accepted"
        change = await session.scalar(
            select(ReferralStatusChange).where(ReferralStatusChange.to_status == "accepted")
        )
    assert change is not None and change.actor == f"staff:{await staff_id(app, CM)}"
    shown = await (await app.get(page)).text()
    assert "requested → accepted" in shown and "called the clinic" in shown
    assert [r.action for r in await audit_rows(app)].count("referral_status_changed") == 1


async def test_a_note_is_stored_shown_escaped_and_audited_once(app: TestClient) -> None:
    her, page = await on_her_page(app, name="Rosa")
    before = len(await audit_rows(app)) + 1
    added = await form(app, page, f"{page}/notes", body="Ride to <i>intake</i> Tuesday")
    assert added.status == 303
    await one_new_audit_row(app, before, "note_added")
    shown = await (await app.get(page)).text()
    assert "Ride to &lt;i&gt;intake&lt;/i&gt; Tuesday" in shown and "Note added." in shown
    assert (await form(app, page, f"{page}/notes", body="  ")).status == 400


async def test_a_text_goes_out_through_twilio_and_audits_once(
    app: TestClient, twilio: tuple[FakeTwilio, str]
) -> None:
    her, page = await on_her_page(app, name="Rosa")
    before = len(await audit_rows(app)) + 1
    sent = await form(app, page, f"{page}/messages", text="Hi Rosa, it's Ana from Tandem.")
    assert sent.status == 303
    await one_new_audit_row(app, before, "message_sent")
    async with app.app[SESSIONS]() as session:
        messages = list(await session.scalars(select(Message).where(Message.client_id == her)))
    assert [(m.direction, m.body) for m in messages] == [
        ("outbound", "Hi Rosa, it's Ana from Tandem.")
    ]
    assert messages[0].twilio_sid and messages[0].state in ("queued", "accepted", "sending")
    assert [m.to for m in twilio[0].received] == [PHONE]
    shown = await (await app.get(page)).text()
    assert "Hi Rosa, it&#39;s Ana from Tandem." in shown and "Tandem texted" in shown


@pytest.mark.parametrize("flag", ["opted_out", "do_not_contact"])
async def test_no_text_to_her_when_she_opted_out_or_is_do_not_contact(
    app: TestClient, twilio: tuple[FakeTwilio, str], flag: str
) -> None:
    her, page = await on_her_page(app, name="Rosa")
    token = await csrf(app, page)  # the form is on the page while she still may be texted
    async with app.app[SESSIONS]() as session, session.begin():
        row = await session.get_one(Client, her)
        if flag == "opted_out":
            row.status = "opted_out"
        else:
            row.do_not_contact = True
    before = len(await audit_rows(app))
    refused = await app.post(
        f"{page}/messages", data={"csrf_token": token, "text": "hello"}, allow_redirects=False
    )
    assert refused.status == 409
    assert len(await audit_rows(app)) == before
    async with app.app[SESSIONS]() as session:
        assert await session.scalar(select(Message.id)) is None
    assert not twilio[0].received
    assert (
        'action="/dashboard/clients/' + her + '/messages"' not in await (await app.get(page)).text()
    )


async def test_a_text_in_quiet_hours_waits_for_the_morning(settings: Settings) -> None:
    async with dashboard(settings, tandem_quiet_hours="00:00-23:59") as client:
        await add_staff(client, CM, "case_manager")
        her = await add_woman(client, phone=PHONE)
        await as_(client, CM)
        page = f"/dashboard/clients/{her}"
        sent = await form(client, page, f"{page}/messages", text="Checking in")
        assert sent.status == 303
        async with client.app[SESSIONS]() as session:
            message = await session.scalar(select(Message))
        assert message is not None and message.state == "scheduled" and message.send_after
        shown = await (await client.get(page)).text()
        assert "quiet hours" in shown and "scheduled" in shown


# Her page ------------------------------------------------------------------------------


async def test_her_phone_is_masked_and_revealed_only_by_the_audited_action(
    app: TestClient,
) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    await as_(app, CM)
    before = len(await audit_rows(app))
    page = await (await app.get(f"/dashboard/clients/{her}")).text()
    await one_new_audit_row(app, before, "client_viewed")
    assert PHONE not in page and "5550177" not in page and "0177" in page
    before = len(await audit_rows(app))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    shown = await app.post(f"/dashboard/clients/{her}/phone", data={"csrf_token": token.group(1)})
    assert shown.status == 200 and PHONE in await shown.text()
    await one_new_audit_row(app, before, "phone_revealed")
    rows = await audit_rows(app)
    assert (rows[-1].target_type, rows[-1].target_id) == ("client", her)
    assert PHONE not in " ".join(str(vars(r)) for r in rows)


async def test_her_words_are_shown_escaped_in_the_timeline(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE, name="<b>Rosa</b>")
    await inbound(app, her, "<script>alert('x')</script> help")
    await as_(app, CM)
    page = await (await app.get(f"/dashboard/clients/{her}")).text()
    assert "<script>" not in page and "<b>Rosa</b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; help" in page
    assert "She texted" in page
    queue = await (await app.get("/dashboard/")).text()
    assert "<b>Rosa</b>" not in queue


async def test_her_page_shows_referrals_consents_signals_and_alerts(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    await add_alert(app, her, "human_requested")
    await add_referral(app, her, "requested")
    await as_(app, ADMIN)
    page = await (await app.get(f"/dashboard/clients/{her}")).text()
    for expected in (
        "Family Recovery Buprenorphine Program",
        "Status history",
        "human requested",
        "Signal",
        "Consents (42 CFR Part 2)",
        "subscribed",
        "Assign her to",
        '<label for="text">',
    ):
        assert expected in page, expected

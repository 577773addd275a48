"""Engagement on the dashboard: her page shows where she stands on the continuum with its
reasons and the outreach flag; staff record what they learnt (an appointment, how she rates
her provider), CSRF-checked and audited once; the queue lists the women flagged for
outreach."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import select, text

from services.app_keys import SESSIONS
from services.db.base import utcnow
from services.db.tables import EngagementSignal
from tests.services import casework_support
from tests.services.casework_support import (
    ADMIN,
    CM,
    CM2,
    PHONE,
    as_,
    assign,
    form,
    on_her_page,
)
from tests.services.dashboard_support import audit_rows
from tests.services.referral_support import add_woman

app = casework_support.app
twilio = casework_support.twilio


async def stored(
    client: TestClient, client_id: str
) -> list[tuple[str, str | None, str, str | None]]:
    async with client.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(EngagementSignal)
            .where(EngagementSignal.client_id == client_id)
            .order_by(EngagementSignal.id)
        )
        return [(r.type, r.value, r.source, r.words) for r in rows]


async def add_signal(client: TestClient, client_id: str, type_: str, days_ago: float) -> None:
    async with client.app[SESSIONS]() as session, session.begin():
        session.add(
            EngagementSignal(
                client_id=client_id,
                type=type_,
                created_at=utcnow() - timedelta(days=days_ago),
            )
        )


async def test_her_page_shows_where_she_stands_and_why(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE, name="Rosa")
    await add_signal(app, her, "message_in", 3)
    await add_signal(app, her, "appointment_attended", 2)
    await as_(app, CM)
    page = await (await app.get(f"/dashboard/clients/{her}")).text()
    assert "Where she stands: <strong>Cooperative</strong>" in page
    assert "<li>She texted once in the last 90 days.</li>" in page
    assert "<li>She went to 1 appointment and missed 0.</li>" in page
    assert "Not flagged for outreach." in page


async def test_a_case_manager_records_a_missed_appointment_with_its_reason(
    app: TestClient,
) -> None:
    her, page = await on_her_page(app, name="Rosa")
    before = len(await audit_rows(app)) + 1  # the page view that gives the form its token
    done = await form(app, page, f"{page}/signals", type="appointment_missed", value="childcare")
    assert done.status == 303
    assert [r.action for r in (await audit_rows(app))[before:]] == ["signal_added"]
    assert await stored(app, her) == [("appointment_missed", "childcare", "staff", None)]
    shown = await (await app.get(page)).text()
    assert "Recorded: Missed an appointment: childcare." in shown
    assert "Signal (added by staff)" in shown


async def test_her_provider_rating_keeps_the_words_encrypted(app: TestClient) -> None:
    her, page = await on_her_page(app, ADMIN, name="Rosa")
    words = "Says Dr. <b>Lee</b> finally listens"
    done = await form(app, page, f"{page}/signals", type="provider_rating", value="5", words=words)
    assert done.status == 303
    assert await stored(app, her) == [("provider_rating", "5", "staff", words)]
    async with app.app[SESSIONS]() as session:
        raw = await session.scalar(text("SELECT words FROM engagement_signals"))
    assert raw is not None and "Lee" not in raw  # a Fernet token at rest
    shown = await (await app.get(page)).text()
    assert "Says Dr. &lt;b&gt;Lee&lt;/b&gt; finally listens" in shown


async def test_a_went_appointment_ignores_the_missed_reason_and_bad_values_are_refused(
    app: TestClient,
) -> None:
    her, page = await on_her_page(app)
    kept = await form(app, page, f"{page}/signals", type="appointment_attended", value="rides")
    assert kept.status == 303
    before = len(await audit_rows(app))
    for fields, says in (
        ({"type": "provider_rating", "value": "9"}, "from 1 to 5"),
        ({"type": "provider_rating", "value": ""}, "needs a value"),
        ({"type": "barrier_reported", "value": "her boyfriend"}, "felt_judged"),
        ({"type": "crisis", "value": "suicide"}, "Choose what to record."),
        ({"type": "craving", "words": "at the party"}, "Only a provider relationship"),
    ):
        refused = await form(app, page, f"{page}/signals", **fields)
        assert refused.status == 400, fields
        assert says in await refused.text()
    assert "signal_added" not in [r.action for r in (await audit_rows(app))[before:]]
    assert await stored(app, her) == [("appointment_attended", None, "staff", None)]


async def test_recording_needs_the_csrf_token_and_her_case_manager(app: TestClient) -> None:
    her = await add_woman(app, phone=PHONE)
    await assign(app, her, CM2)
    path = f"/dashboard/clients/{her}/signals"
    await as_(app, CM)  # not hers, even with a good token
    refused = await form(app, "/dashboard/", path, type="appointment_attended")
    assert refused.status == 403
    await as_(app, CM2)  # hers, without the token
    no_token = await app.post(path, data={"type": "appointment_attended"}, allow_redirects=False)
    assert no_token.status == 403
    assert await stored(app, her) == []
    assert "signal_added" not in [r.action for r in await audit_rows(app)]


async def test_the_queue_lists_women_flagged_for_outreach(app: TestClient) -> None:
    slipped = await add_woman(app, phone="+14135550131", name="Ana")
    fine = await add_woman(app, phone="+14135550132", name="Bea")
    await add_signal(app, slipped, "return_to_use", 3)
    await add_signal(app, fine, "message_in", 1)
    await as_(app, CM)
    queue = await (await app.get("/dashboard/")).text()
    flagged = queue.split('id="flagged-h"')[1]
    assert "Ana" in flagged and "Bea" not in flagged
    assert "A return to use 3 days ago" in flagged
    # A case manager following up clears it: a staff signal after the slip.
    page = f"/dashboard/clients/{slipped}"
    await form(app, page, f"{page}/signals", type="appointment_attended")
    queue = await (await app.get("/dashboard/")).text()
    assert "Nobody flagged." in queue.split('id="flagged-h"')[1]

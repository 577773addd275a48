"""Check-ins as she receives them: follow-ups scheduled by what happened, sent once through
the fake Twilio when due, in her language, and never to a woman who may not or does not want
to get them. Time is a clock the test sets."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from services.app_keys import HTTP, SESSIONS, SETTINGS
from services.checkins import schedule
from services.checkins.dispatcher import telling_rasa
from services.checkins.texts import TEXTS, check_in_text
from services.db.base import utcnow
from services.db.tables import Client
from services.gateway.rasa_client import BotUnavailable, RasaClient
from services.gateway.rasa_pool import RasaPool
from services.gateway.twiml import twiml_to_messages
from services.settings import Settings
from sms_text.segments import count_segments
from tests.services import checkins_support
from tests.services.checkins_support import MINUTE, CheckIns
from tests.services.conftest import FakeRasa, running_fake_rasa
from tests.services.referral_support import PHONE, add_woman, move, offer_and_grant
from tests.services.test_gateway import form, post_signed

checkins = checkins_support.checkins  # the fixture

REACH_THEM = (
    "Hi, it's Tandem. Checking in about your referral: were you able to reach them? "
    "If something got in the way, tell me and I can help."
)


async def signal(client: TestClient, headers: dict[str, str], her: str, kind: str) -> None:
    response = await client.post(
        "/api/signals", json={"client_id": her, "type": kind}, headers=headers
    )
    assert response.status == 201, await response.text()


async def set_her(client: TestClient, her: str, **fields: object) -> None:
    async with client.app[SESSIONS]() as session, session.begin():
        row = await session.get(Client, her)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)


async def test_two_days_after_her_yes_she_is_asked_once_whether_she_reached_them(
    checkins: CheckIns, api_headers: dict[str, str]
) -> None:
    client = checkins.client
    her = await add_woman(client)
    before = utcnow()
    await offer_and_grant(client, api_headers, her)  # her YES: the referral is requested
    due = await checkins.due_at(her, "referral_follow_up")
    assert timedelta(days=2) <= due - before < timedelta(days=2, minutes=1)

    assert await checkins.dispatch(due - MINUTE) == 0
    assert checkins.texts_to(PHONE) == []

    assert await checkins.dispatch(due + MINUTE) == 1
    assert checkins.texts_to(PHONE) == [REACH_THEM]
    assert await checkins.dispatch(due + 2 * MINUTE) == 0, "never twice"
    assert checkins.texts_to(PHONE) == [REACH_THEM]
    assert (await checkins.timeline(her))[-1] == ("queued", REACH_THEM)
    [row] = await checkins.rows(her)
    assert (row.state, row.attempts, row.message_id is not None) == ("sent", 1, True)


async def test_the_follow_up_reaches_the_conversation_and_her_answer_comes_in_after_it(
    checkins: CheckIns, api_headers: dict[str, str]
) -> None:
    client = checkins.client
    her = await add_woman(client)
    await offer_and_grant(client, api_headers, her)
    due = await checkins.due_at(her, "referral_follow_up")
    rasa = RasaPool.from_settings(client.app[SETTINGS], client.app[HTTP])
    assert await checkins.dispatcher(due, announce=telling_rasa(rasa)).dispatch_due() == 1
    assert checkins.texts_to(PHONE) == [REACH_THEM]

    assert checkins.rasa.triggered == [
        {
            "sender": her,
            "name": "EXTERNAL_check_in",
            "entities": {"check_in_kind": "referral_follow_up", "discreet": "false"},
        }
    ]
    assert checkins.rasa.messages() == [], "nothing of hers was sent to the bot"

    checkins.rasa.replies = ["I'm glad you reached them."]
    reply = await post_signed(client, form("yes I called them, I start monday", phone=PHONE))
    assert twiml_to_messages(await reply.text()) == ["I'm glad you reached them."]
    assert [(e["event"], e["text"]) for e in checkins.rasa.events[her]] == [
        ("user", "EXTERNAL: EXTERNAL_check_in"),  # what was asked, before her answer
        ("user", "yes I called them, I start monday"),
        ("bot", "I'm glad you reached them."),
    ]


async def test_no_follow_up_once_the_referral_moved_on(
    checkins: CheckIns, api_headers: dict[str, str]
) -> None:
    client = checkins.client
    her = await add_woman(client)
    granted = await offer_and_grant(client, api_headers, her)
    due = await checkins.due_at(her, "referral_follow_up")
    response = await move(
        client, api_headers, granted["referral"]["id"], "cancelled", reason="she chose another"
    )
    assert response.status == 200, await response.text()
    assert await checkins.dispatch(due + MINUTE) == 0
    assert checkins.texts_to(PHONE) == []
    [row] = await checkins.rows(her)
    assert (row.state, row.reason) == ("skipped", "referral_moved_on")


async def test_the_day_after_a_missed_appointment_she_is_asked_what_got_in_the_way_in_spanish(
    checkins: CheckIns, api_headers: dict[str, str]
) -> None:
    client = checkins.client
    her = await add_woman(client, language="es")
    await signal(client, api_headers, her, "appointment_missed")
    due = await checkins.due_at(her, "missed_appointment")
    assert await checkins.dispatch(due - MINUTE) == 0
    assert await checkins.dispatch(due) == 1
    assert checkins.texts_to(PHONE) == [
        "Hola, soy Tandem. Siento lo de la cita. ¿Qué te lo impidió? ¿Transporte, niños, otra "
        "cosa? Puedo ayudarte a buscar opciones."
    ]


@pytest.mark.parametrize("kind", ["craving", "return_to_use"])
async def test_after_a_craving_or_a_slip_one_gentle_text_the_next_day(
    checkins: CheckIns, api_headers: dict[str, str], kind: str
) -> None:
    client = checkins.client
    her = await add_woman(client)
    await signal(client, api_headers, her, kind)
    await signal(client, api_headers, her, "craving")  # the same day: followed up once
    due = await checkins.due_at(her, "support")
    assert await checkins.dispatch(due + timedelta(hours=1)) == 1
    [text] = checkins.texts_to(PHONE)
    assert text == (
        "Hi, it's Tandem. Thinking of you today. How are you feeling? You don't have to "
        "reply, but I'm here if you want to talk."
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "opted_out"}, "opted_out"),
        ({"do_not_contact": True}, "do_not_contact"),
        ({"checkin_cadence": "paused"}, "paused"),
        ({"checkin_cadence": "when_i_text"}, "when_i_text"),
    ],
)
async def test_what_changed_before_it_was_due_is_checked_at_send_time(
    checkins: CheckIns, api_headers: dict[str, str], change: dict[str, object], reason: str
) -> None:
    client = checkins.client
    her = await add_woman(client)
    await signal(client, api_headers, her, "appointment_missed")
    due = await checkins.due_at(her, "missed_appointment")
    await set_her(client, her, **change)
    assert await checkins.dispatch(due + MINUTE) == 0
    assert checkins.texts_to(PHONE) == []
    assert await checkins.timeline(her) == [], "nothing stored as sent or refused"
    [row] = await checkins.rows(her)
    assert (row.state, row.reason) == ("skipped", reason)


# 23:00 in Massachusetts (EDT); quiet hours 21:00-08:00 end at 12:00 UTC the next day.
LATE_EVENING = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 6, 16, 12, 0, tzinfo=UTC)


async def test_quiet_hours_defer_a_check_in_to_the_morning_instead_of_dropping_it(
    checkins: CheckIns,
) -> None:
    client = checkins.client
    her = await add_woman(client)
    async with client.app[SESSIONS]() as session, session.begin():
        schedule.add(session, her, "support", LATE_EVENING - MINUTE, LATE_EVENING - MINUTE)
    quiet = {"tandem_quiet_hours": "21:00-08:00"}
    assert await checkins.dispatch(LATE_EVENING, **quiet) == 0
    [row] = await checkins.pending(her)
    assert (row.due_at, row.reason) == (NEXT_MORNING, "quiet_hours")
    assert await checkins.dispatch(NEXT_MORNING - MINUTE, **quiet) == 0
    assert await checkins.dispatch(NEXT_MORNING, **quiet) == 1
    assert len(checkins.texts_to(PHONE)) == 1


async def test_a_loss_cancels_every_pending_check_in_at_once(
    checkins: CheckIns, api_headers: dict[str, str]
) -> None:
    client = checkins.client
    her = await add_woman(client)
    await offer_and_grant(client, api_headers, her)
    await signal(client, api_headers, her, "craving")
    response = await client.patch(
        f"/api/clients/{her}", json={"pregnancy_loss": True}, headers=api_headers
    )
    assert response.status == 200
    assert await checkins.pending(her) == []
    assert await checkins.dispatch(utcnow() + timedelta(days=30)) == 0
    assert checkins.texts_to(PHONE) == []
    assert {(r.state, r.reason) for r in await checkins.rows(her)} == {
        ("cancelled", "loss_reported")
    }


async def test_her_cadence_schedules_her_regular_check_in_and_the_next_after_it(
    checkins: CheckIns, api_headers: dict[str, str]
) -> None:
    client = checkins.client
    her = await add_woman(client, language="es")
    url = f"/api/clients/{her}/checkin-cadence"
    response = await client.put(url, json={"cadence": "weekly"}, headers=api_headers)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["cadence"], body["cadence_changed_by"]) == ("weekly", "bot")
    [scheduled] = body["scheduled"]
    due = datetime.fromisoformat(scheduled["due_at"])
    assert scheduled["kind"] == "regular"
    assert timedelta(days=7) - MINUTE < due - utcnow() <= timedelta(days=7)

    assert await checkins.dispatch(due) == 1
    assert checkins.texts_to(PHONE) == [
        "Hola, soy Tandem. ¿Cómo estás? Responde cuando quieras, sin presión."
    ]
    assert await checkins.due_at(her, "regular") == due + timedelta(days=7)

    response = await client.put(url, json={"cadence": "every_2_weeks"}, headers=api_headers)
    [scheduled] = (await response.json())["scheduled"]
    assert scheduled["kind"] == "regular", "the weekly one is replaced, not kept beside it"

    response = await client.put(url, json={"cadence": "paused"}, headers=api_headers)
    assert (await response.json())["scheduled"] == []
    listed = await client.get(f"/api/clients/{her}/check-ins", headers=api_headers)
    assert (await listed.json())["cadence"] == "paused"
    assert await checkins.dispatch(due + timedelta(days=60)) == 0
    assert len(checkins.texts_to(PHONE)) == 1


@pytest.mark.parametrize("cadence", ["daily", "", None, 7])
async def test_an_unknown_cadence_is_a_clear_422(
    checkins: CheckIns, api_headers: dict[str, str], cadence: object
) -> None:
    her = await add_woman(checkins.client)
    response = await checkins.client.put(
        f"/api/clients/{her}/checkin-cadence", json={"cadence": cadence}, headers=api_headers
    )
    assert response.status == 422
    body = await response.json()
    assert body["error"] == "invalid_cadence" and body["field"] == "cadence"
    assert body["allowed"] == ["every_few_days", "weekly", "every_2_weeks", "when_i_text", "paused"]
    assert "weekly" in body["message"]


async def test_a_claim_left_by_a_stopped_process_is_sent_once_later(checkins: CheckIns) -> None:
    client = checkins.client
    her = await add_woman(client)
    now = utcnow()
    async with client.app[SESSIONS]() as session, session.begin():
        schedule.add(session, her, "support", now, now)
    async with client.app[SESSIONS]() as session, session.begin():
        assert len(await schedule.claim_due(session, now, 10)) == 1  # ...and the process stops
    assert await checkins.dispatch(now + MINUTE) == 0, "another process's claim is left alone"
    assert await checkins.dispatch(now + timedelta(minutes=11)) == 1
    assert await checkins.dispatch(now + timedelta(minutes=30)) == 0
    assert len(checkins.texts_to(PHONE)) == 1
    [row] = await checkins.rows(her)
    assert (row.state, row.attempts) == ("sent", 2)


async def test_a_check_in_that_stops_every_dispatcher_is_given_up_after_three_claims(
    checkins: CheckIns,
) -> None:
    client = checkins.client
    her = await add_woman(client)
    now = utcnow()
    async with client.app[SESSIONS]() as session, session.begin():
        schedule.add(session, her, "support", now, now)
    for attempt in range(1, 4):
        at = now + attempt * timedelta(minutes=11)
        async with client.app[SESSIONS]() as session, session.begin():
            await schedule.release_stuck(session, at - timedelta(minutes=10), at)
            assert len(await schedule.claim_due(session, at, 10)) == 1  # ...and it dies
    assert await checkins.dispatch(now + timedelta(hours=1)) == 0
    assert checkins.texts_to(PHONE) == []
    [row] = await checkins.rows(her)
    assert (row.state, row.reason, row.attempts) == ("failed", "stuck", 3)


async def test_each_sent_check_in_is_announced_to_the_conversation(
    checkins: CheckIns, api_headers: dict[str, str]
) -> None:
    client = checkins.client
    her = await add_woman(client)
    await signal(client, api_headers, her, "appointment_missed")
    due = await checkins.due_at(her, "missed_appointment")
    announced: list[tuple[str, str, str]] = []

    async def announce(client_id: str, text: str, kind: str, discreet: bool) -> None:
        announced.append((client_id, text, kind))

    assert await checkins.dispatcher(due, announce=announce).dispatch_due() == 1
    assert announced == [(her, checkins.texts_to(PHONE)[0], "missed_appointment")]


async def test_concurrent_dispatchers_on_sqlite_send_each_check_in_once(
    checkins: CheckIns,
) -> None:
    client = checkins.client
    phones = [f"+141355503{n:02d}" for n in range(40)]
    now = utcnow()
    for n, phone in enumerate(phones):
        her = await add_woman(client, phone=phone)
        async with client.app[SESSIONS]() as session, session.begin():
            schedule.add(session, her, "support", now - n * MINUTE, now)
    # Small batches: several rounds each, interleaved.
    dispatchers = [checkins.dispatcher(now, batch_size=7) for _ in range(3)]
    counts = await asyncio.gather(*(d.dispatch_due() for d in dispatchers))
    assert sum(counts) == len(phones)
    assert sorted(r.to for r in checkins.fake.messages) == sorted(phones)


async def test_the_bot_learns_what_was_asked_and_does_not_replay_it_as_a_reply(
    fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, url = fake_rasa
    fake.events["c_her"] = [
        {"event": "user", "text": "hi", "metadata": {"message_sid": "SM1"}},
        {"event": "bot", "text": "Hi! I'm Tandem."},
    ]
    async with aiohttp.ClientSession() as http:
        rasa = RasaPool.from_settings(settings.model_copy(update={"rasa_url": url}), http)
        await rasa.trigger_check_in("c_her", "support", discreet=True)
        assert fake.triggered == [
            {
                "sender": "c_her",
                "name": "EXTERNAL_check_in",
                "entities": {"check_in_kind": "support", "discreet": "true"},
            }
        ]
        # What the bot notes afterwards (no text: it sends nothing) is no reply to "hi".
        fake.events["c_her"].append({"event": "bot", "text": "How are you feeling?"})
        assert await rasa.replies_to("c_her", "SM1") == ["Hi! I'm Tandem."]
        fake.up = False
        with pytest.raises(BotUnavailable):
            await rasa.trigger_check_in("c_her", "support", discreet=False)


async def test_check_ins_go_round_the_rasa_processes_and_skip_one_that_is_down(
    settings: Settings,
) -> None:
    async with running_fake_rasa() as (first, url1), running_fake_rasa() as (second, url2):
        async with aiohttp.ClientSession() as http:
            pool = RasaPool(
                [
                    RasaClient.for_process(settings, http, url1),
                    RasaClient.for_process(settings, http, url2),
                ]
            )
            for _ in range(4):
                await pool.trigger_check_in("c_her", "regular", discreet=False)
            assert (len(first.triggered), len(second.triggered)) == (2, 2)
            first.up = False  # answers 503: the next process takes it
            await pool.trigger_check_in("c_her", "regular", discreet=False)
            await pool.trigger_check_in("c_her", "regular", discreet=False)
            assert (len(first.triggered), len(second.triggered)) == (2, 4)


async def test_a_bot_that_is_down_does_not_hold_up_or_undo_check_ins(checkins: CheckIns) -> None:
    client = checkins.client
    now = utcnow()
    for n in range(3):
        her = await add_woman(client, phone=f"+141355504{n:02d}")
        async with client.app[SESSIONS]() as session, session.begin():
            schedule.add(session, her, "support", now, now)
    tries: list[str] = []

    async def announce(client_id: str, text: str, kind: str, discreet: bool) -> None:
        tries.append(client_id)
        raise BotUnavailable("ClientConnectorError")

    assert await checkins.dispatcher(now, announce=announce).dispatch_due() == 3
    assert len(checkins.fake.messages) == 3
    assert len(tries) == 1, "the rest of the batch is not tried"


# Words an unprompted text must not carry: someone else may read her phone.
INDISCREET = re.compile(
    r"drug|opioid|recover|relapse|craving|\buse\b|clinic|treatment|methadone|suboxone|dcf|"
    r"pregnan|baby|beb|embaraz|droga|tratamiento|reca[ií]da",
    re.IGNORECASE,
)


@pytest.mark.parametrize("kind", sorted(TEXTS))
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_check_in_is_short_and_discreet(kind: str, language: str) -> None:
    text = check_in_text(kind, language, "Tandem")
    assert count_segments(text) <= 2, text
    assert not INDISCREET.search(text), text

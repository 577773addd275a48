"""Her opt-out and opt-in (services/clients/status.py): every way in records the `opt_out` or
`opt_in` engagement signal once, with who did it and the message it came from."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from services.app_keys import SESSIONS
from services.clients import status
from services.db.base import utcnow
from services.db.tables import Client, EngagementSignal
from tests.services import fixtures_twilio
from tests.services.conftest import FakeRasa
from tests.services.fixtures_twilio import PHONE, Stack
from tests.services.test_gateway import form, post_signed
from tests.services.test_status_callback import callback, sent_message

stack = fixtures_twilio.stack  # the fixture: services app + fake Twilio server

Signal = tuple[str, str | None, str, str | None]  # type, value, source, message_sid


async def signals(sessions, client_id: str | None = None, *, texts: bool = False) -> list[Signal]:  # type: ignore[no-untyped-def]
    """Her signals in order; her texts' message_in signals only when `texts`."""
    async with sessions() as session:
        query = select(EngagementSignal).order_by(EngagementSignal.id)
        if not texts:
            query = query.where(EngagementSignal.type != "message_in")
        if client_id is not None:
            query = query.where(EngagementSignal.client_id == client_id)
        rows = await session.scalars(query)
        return [(r.type, r.value, r.source, r.message_sid) for r in rows]


async def test_stop_and_start_by_sms_record_one_signal_each(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    stop, again, start = form("STOP"), form("STOP"), form("START")
    for params in (stop, again, start):
        assert (await post_signed(client, params)).status == 200
    assert await signals(client.app[SESSIONS]) == [
        ("opt_out", status.BY_SMS_KEYWORD, "gateway", stop["MessageSid"]),
        ("opt_in", status.BY_SMS_KEYWORD, "gateway", start["MessageSid"]),
    ]


async def test_each_text_she_sends_records_one_message_in_even_when_twilio_retries(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    hello, stop = form("hi"), form("STOP")
    for params in (hello, hello, stop):
        assert (await post_signed(client, params)).status == 200
    assert await signals(client.app[SESSIONS], texts=True) == [
        ("message_in", None, "gateway", hello["MessageSid"]),
        ("message_in", None, "gateway", stop["MessageSid"]),
        ("opt_out", status.BY_SMS_KEYWORD, "gateway", stop["MessageSid"]),
    ]


async def test_an_opt_out_and_back_in_in_her_own_words_record_one_signal_each(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    out, back = form("can u stop texting this number"), form("START")
    for params in (out, back):
        assert (await post_signed(client, params)).status == 200
    assert await signals(client.app[SESSIONS]) == [
        ("opt_out", status.BY_SMS_KEYWORD, "gateway", out["MessageSid"]),
        ("opt_in", status.BY_SMS_KEYWORD, "gateway", back["MessageSid"]),
    ]


async def test_twilio_advanced_opt_out_records_the_signal(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    params = form("stop", OptOutType="STOP")
    assert (await post_signed(client, params)).status == 200
    assert await signals(client.app[SESSIONS]) == [
        ("opt_out", status.BY_TWILIO_OPT_OUT_TYPE, "gateway", params["MessageSid"])
    ]


async def test_a_synchronous_21610_records_the_signal(stack: Stack) -> None:
    client_id = await stack.new_client()
    stack.fake.opted_out.add(PHONE)
    await stack.sender().send(client_id, "Reminder: group tonight at 6")
    await stack.sender().send(client_id, "Another reminder")
    assert await signals(stack.app[SESSIONS], client_id) == [
        ("opt_out", status.OPTED_OUT_BY_TWILIO, "gateway", None)
    ]


async def test_a_21610_status_callback_records_the_signal(stack: Stack) -> None:
    client_id, _, sid = await sent_message(stack)
    await stack.fake.fire_status(sid, "undelivered", error_code=21610)
    await stack.fake.fire_status(sid, "undelivered", error_code=21610)
    assert await signals(stack.app[SESSIONS], client_id) == [
        ("opt_out", status.OPTED_OUT_BY_TWILIO, "gateway", sid)
    ]


async def test_a_21610_for_an_unknown_message_still_records_the_signal(stack: Stack) -> None:
    client_id = await stack.new_client()
    sid = "SM" + "f" * 32
    code, _ = await stack.post_status(callback(sid, "undelivered", ErrorCode="21610", To=PHONE))
    assert code == 200
    assert await signals(stack.app[SESSIONS], client_id) == [
        ("opt_out", status.OPTED_OUT_BY_TWILIO, "gateway", sid)
    ]


async def test_a_forgotten_client_stays_forgotten(stack: Stack) -> None:
    client_id = await stack.new_client()
    await stack.set_status(client_id, "forgotten")
    sessions = stack.app[SESSIONS]
    async with sessions() as session, session.begin():
        assert not await status.opt_out(session, client_id, by="test", now=utcnow())
        assert not await status.opt_in(session, client_id, by="test", now=utcnow())
    async with sessions() as session:
        assert (await session.get_one(Client, client_id)).status == "forgotten"
    assert await signals(sessions, client_id) == []

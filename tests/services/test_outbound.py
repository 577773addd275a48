"""OutboundSender against a real fake Twilio server and the real services app and database."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from twilio.rest import Client as TwilioClient

from services.app_keys import SESSIONS
from services.clients.lookup import UnknownClient
from services.clients.status import OPTED_OUT_BY_TWILIO
from services.db.tables import Message
from services.gateway.twilio_client import make_twilio_client
from services.settings import Settings
from sms_text.segments import count_segments
from tests.services import fixtures_twilio
from tests.services.fixtures_twilio import (
    LATE_EVENING,
    NEXT_MORNING,
    PHONE,
    PUBLIC_STATUS,
    Stack,
)

stack = fixtures_twilio.stack  # the fixture: services app + fake Twilio server

LONG_TEXT = " ".join(
    f"Sentence {n} is about your appointment on Tuesday at the clinic on Main Street."
    for n in range(12)
)


async def test_send_creates_the_message_at_twilio_and_stores_sid_and_state(
    stack: Stack,
) -> None:
    client_id = await stack.new_client()
    [message] = await stack.sender().send(client_id, "Your appointment is tomorrow at 10.")
    assert message.state == "queued"
    assert message.twilio_sid and message.twilio_sid.startswith("SM")
    assert message.segments == 1 and message.direction == "outbound"

    [received] = stack.fake.received
    assert received.authorized and received.account_sid == stack.settings.twilio_account_sid
    assert received.to == PHONE
    assert received.from_ == stack.settings.twilio_from_number
    assert received.messaging_service_sid is None
    assert received.body == "Your appointment is tomorrow at 10."
    assert received.status_callback == PUBLIC_STATUS
    assert received.sid == message.twilio_sid

    [stored] = await stack.messages(client_id)
    assert (stored.twilio_sid, stored.body) == (message.twilio_sid, message.body)
    assert stored.state in {"queued", "sent", "delivered"}  # callbacks may already be in


async def test_twilio_api_base_url_redirects_the_v2010_domain(settings: Settings) -> None:
    default = make_twilio_client(settings)
    redirected = make_twilio_client(
        settings.model_copy(update={"twilio_api_base_url": "http://127.0.0.1:8089/"})
    )
    try:
        assert default.api.v2010.absolute_url("Accounts/AC1/Messages.json") == (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
        )
        assert redirected.api.v2010.absolute_url("Accounts/AC1/Messages.json") == (
            "http://127.0.0.1:8089/2010-04-01/Accounts/AC1/Messages.json"
        )
    finally:
        await default.http_client.close()  # type: ignore[attr-defined]
        await redirected.http_client.close()  # type: ignore[attr-defined]


async def test_messaging_service_sid_is_sent_instead_of_from(stack: Stack) -> None:
    client_id = await stack.new_client()
    service_sid = "MG" + "1" * 32
    sender = stack.sender(twilio_messaging_service_sid=service_sid)
    [message] = await sender.send(client_id, "Hi from your care team")
    [received] = stack.fake.received
    assert received.messaging_service_sid == service_sid
    assert received.from_ is None
    assert message.state == "accepted"  # Twilio picks the sender from the pool later


async def test_opted_out_client_is_refused_and_nothing_is_requested(stack: Stack) -> None:
    client_id = await stack.new_client()
    await stack.set_status(client_id, "opted_out")
    [message] = await stack.sender().send(client_id, "Check-in: how are you today?")
    assert message.state == "refused" and message.twilio_sid is None
    assert stack.fake.received == []
    assert [m.state for m in await stack.messages(client_id)] == ["refused"]


async def test_synchronous_21610_opts_her_out_and_the_next_send_is_refused(
    stack: Stack,
) -> None:
    client_id = await stack.new_client()
    stack.fake.opted_out.add(PHONE)
    sender = stack.sender()
    [message] = await sender.send(client_id, "Reminder: group tonight at 6")
    assert (message.state, message.error_code) == ("failed", 21610)
    client = await stack.client(client_id)
    assert client.status == "opted_out"
    assert client.status_changed_by == OPTED_OUT_BY_TWILIO
    assert client.status_changed_at == stack.clock.now
    assert len(stack.fake.received) == 1

    [again] = await sender.send(client_id, "Another reminder")
    assert again.state == "refused"
    assert len(stack.fake.received) == 1, "no request for an opted-out client"


async def test_21610_on_the_first_part_stops_the_other_parts(stack: Stack) -> None:
    client_id = await stack.new_client()
    stack.fake.opted_out.add(PHONE)
    messages = await stack.sender().send(client_id, LONG_TEXT)
    assert len(messages) > 1
    assert [m.state for m in messages] == ["failed"] + ["refused"] * (len(messages) - 1)
    assert len(stack.fake.received) == 1
    stored = await stack.messages(client_id)
    assert [m.state for m in stored] == [m.state for m in messages]


async def test_quiet_hours_hold_the_message_until_morning_and_it_goes_once(
    stack: Stack,
) -> None:
    client_id = await stack.new_client()
    stack.clock.now = LATE_EVENING
    sender = stack.sender()
    [message] = await sender.send(client_id, "Good morning! How did you sleep?")
    assert message.state == "scheduled" and message.send_after == NEXT_MORNING
    assert await sender.send_due() == 0
    assert stack.fake.received == []

    stack.clock.now = NEXT_MORNING
    counts = await asyncio.gather(sender.send_due(), sender.send_due(), stack.sender().send_due())
    assert sum(counts) == 1
    assert await sender.send_due() == 0
    assert len(stack.fake.received) == 1
    assert stack.fake.received[0].body == "Good morning! How did you sleep?"
    stored = await stack.message(message.id)
    assert stored.twilio_sid == stack.fake.received[0].sid
    assert stored.state in {"queued", "sent", "delivered"}


async def test_concurrent_workers_send_each_due_message_exactly_once(stack: Stack) -> None:
    clients = [await stack.new_client(f"+1413555017{n}") for n in range(4)]
    stack.clock.now = LATE_EVENING
    scheduled = []
    for client_id in clients:
        scheduled += await stack.sender().send(client_id, LONG_TEXT)
    assert all(m.state == "scheduled" for m in scheduled)
    stack.clock.now = NEXT_MORNING
    counts = await asyncio.gather(*(stack.sender().send_due() for _ in range(4)))
    assert sum(counts) == len(scheduled)
    bodies = sorted((r.to, r.body) for r in stack.fake.received)
    assert len(bodies) == len(set(bodies)) == len(scheduled)


async def test_send_due_rechecks_opt_out_at_send_time(stack: Stack) -> None:
    client_id = await stack.new_client()
    stack.clock.now = LATE_EVENING
    [message] = await stack.sender().send(client_id, "Morning check-in")
    await stack.set_status(client_id, "opted_out")
    stack.clock.now = NEXT_MORNING
    assert await stack.sender().send_due() == 0
    assert stack.fake.received == []
    assert (await stack.message(message.id)).state == "refused"


async def test_a_message_due_during_the_next_quiet_hours_waits_again(stack: Stack) -> None:
    client_id = await stack.new_client()
    stack.clock.now = LATE_EVENING
    [message] = await stack.sender().send(client_id, "Morning check-in")
    stack.clock.advance(days=1)  # the worker was down all day: 23:00 again
    assert await stack.sender().send_due() == 0
    stored = await stack.message(message.id)
    assert stored.state == "scheduled"
    assert stored.send_after == NEXT_MORNING + timedelta(days=1)
    assert stack.fake.received == []


async def test_a_long_text_goes_out_in_parts_of_at_most_two_segments(stack: Stack) -> None:
    client_id = await stack.new_client()
    messages = await stack.sender().send(client_id, LONG_TEXT)
    assert len(messages) >= 3
    assert all(count_segments(m.body) <= 2 and m.segments <= 2 for m in messages)
    assert " ".join(m.body for m in messages) == LONG_TEXT
    assert [r.body for r in stack.fake.received] == [m.body for m in messages]
    assert all(m.state == "queued" for m in messages)


async def test_other_twilio_errors_fail_the_message_and_log_ids_only(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # (aiosqlite logs SQL parameters at DEBUG)
    client_id = await stack.new_client()
    sender = stack.sender(twilio_auth_token="wrong-token-0123456789")
    [message] = await sender.send(client_id, "my private words")
    assert (message.state, message.error_code) == ("failed", 20003)
    assert (await stack.client(client_id)).status == "active"
    assert stack.fake.received[0].authorized is False
    logged = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    assert "5550161" not in logged and "private words" not in logged
    assert any(r.getMessage() == "sms_outbound_failed" for r in caplog.records)


async def test_an_unreachable_twilio_fails_the_message(stack: Stack) -> None:
    client_id = await stack.new_client()
    sender = stack.sender(twilio_api_base_url="http://127.0.0.1:9")
    [message] = await sender.send(client_id, "hello")
    assert message.state == "failed" and message.error_code is None
    assert (await stack.message(message.id)).state == "failed"


async def test_replayed_bot_replies_go_out_in_order_in_reply_to_her_message(
    stack: Stack,
) -> None:
    client_id = await stack.new_client()
    await stack.sender().deliver_replies(client_id, ["First", "  ", "Second"], None)
    assert [r.body for r in stack.fake.received] == ["First", "Second"]


async def test_unknown_client_and_empty_text_are_errors(stack: Stack) -> None:
    with pytest.raises(UnknownClient):
        await stack.sender().send("c_nobody", "hi")
    client_id = await stack.new_client()
    with pytest.raises(ValueError):
        await stack.sender().send(client_id, "   ")
    assert stack.fake.received == []


async def test_a_custom_twilio_client_factory_is_used_and_closed(stack: Stack) -> None:
    made: list[TwilioClient] = []

    def factory() -> TwilioClient:
        client = make_twilio_client(stack.settings)
        made.append(client)
        return client

    client_id = await stack.new_client()
    await stack.sender(twilio_client_factory=factory).send(client_id, "hello")
    assert len(made) == 1
    assert made[0].http_client.session.closed  # type: ignore[attr-defined]


async def test_a_message_orphaned_in_sending_is_failed_not_sent_twice(stack: Stack) -> None:
    client_id = await stack.new_client()
    async with stack.app[SESSIONS]() as session, session.begin():
        orphan = Message(client_id=client_id, direction="outbound", body="Hi", state="sending")
        session.add(orphan)
    stack.clock.now = datetime.now(UTC) + timedelta(minutes=5)
    await stack.sender().send_due()
    assert (await stack.message(orphan.id)).state == "sending"  # may still be in flight
    stack.clock.now = datetime.now(UTC) + timedelta(minutes=11)
    await stack.sender().send_due()
    assert (await stack.message(orphan.id)).state == "failed"
    assert stack.fake.received == []  # never retried: Twilio may have sent it

"""POST /sms/status through the real services app, with callbacks signed and posted by the
fake Twilio server (and by hand, for bad signatures and unknown messages)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from services.app_keys import SESSIONS
from services.clients.status import OPTED_OUT_BY_TWILIO
from services.db.tables import Message
from services.gateway.message_states import (
    FINAL_STATES,
    OUTBOUND_STATES,
    can_advance,
    states_advancing_to,
)
from services.gateway.signature import sign
from tests.services import fixtures_twilio
from tests.services.conftest import AUTH_TOKEN
from tests.services.fixtures_twilio import PHONE, PUBLIC_STATUS, Stack

FORM = "application/x-www-form-urlencoded"
stack = fixtures_twilio.stack  # the fixture: services app + fake Twilio server


async def sent_message(stack: Stack, text: str = "See you Thursday") -> tuple[str, int, str]:
    """Send one message with automatic callbacks off; (client id, message id, sid)."""
    stack.fake.auto_callbacks = False
    client_id = await stack.new_client()
    [message] = await stack.sender().send(client_id, text)
    assert message.twilio_sid is not None
    return client_id, message.id, message.twilio_sid


def callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "From": "+14135550199",
        "To": "+14135550161",
        "ApiVersion": "2010-04-01",
        **extra,
    }


async def test_the_fakes_callbacks_take_the_message_to_delivered(stack: Stack) -> None:
    client_id = await stack.new_client()
    [message] = await stack.sender().send(client_id, "Your ride is booked for 9:30")
    await stack.fake.drain()
    received = stack.fake.find(message.twilio_sid or "")
    assert [c["status"] for c in received.callbacks] == ["sent", "delivered"]
    assert all(c["http_status"] == 200 for c in received.callbacks)
    assert (await stack.message(message.id)).state == "delivered"


async def test_queued_sent_delivered_each_move_the_row_forward(stack: Stack) -> None:
    _, message_id, sid = await sent_message(stack)
    assert (await stack.message(message_id)).state == "queued"
    states = []
    for status in ("queued", "sending", "sent", "delivered", "read"):
        assert await stack.fake.fire_status(sid, status) == 200
        states.append((await stack.message(message_id)).state)
    assert states == ["queued", "sending", "sent", "delivered", "read"]


async def test_out_of_order_callbacks_never_move_backwards(stack: Stack) -> None:
    _, message_id, sid = await sent_message(stack)
    for status in ("delivered", "sent", "queued", "undelivered", "failed"):
        assert await stack.fake.fire_status(sid, status) == 200
        assert (await stack.message(message_id)).state == "delivered"


async def test_a_failed_message_stays_failed_with_its_error_code(stack: Stack) -> None:
    client_id, message_id, sid = await sent_message(stack)
    await stack.fake.fire_status(sid, "undelivered", error_code=30003)
    await stack.fake.fire_status(sid, "delivered")
    await stack.fake.fire_status(sid, "read")
    stored = await stack.message(message_id)
    assert (stored.state, stored.error_code) == ("undelivered", 30003)
    assert (await stack.client(client_id)).status == "active"


async def test_undelivered_with_21610_opts_her_out(stack: Stack) -> None:
    client_id, message_id, sid = await sent_message(stack)
    await stack.fake.fire_status(sid, "sent")
    await stack.fake.fire_status(sid, "undelivered", error_code=21610)
    stored = await stack.message(message_id)
    assert (stored.state, stored.error_code) == ("undelivered", 21610)
    client = await stack.client(client_id)
    assert client.status == "opted_out" and client.status_changed_by == OPTED_OUT_BY_TWILIO
    requests = len(stack.fake.received)
    [refused] = await stack.sender().send(client_id, "Are you free tomorrow?")
    assert refused.state == "refused" and len(stack.fake.received) == requests


async def test_bad_missing_or_tampered_signature_is_403_and_changes_nothing(
    stack: Stack,
) -> None:
    client_id, message_id, sid = await sent_message(stack)
    params = callback(sid, "undelivered", ErrorCode="21610")
    wrong_token = await stack.post_status(params, token="not-the-token")
    # Signed for the URL the request really hit, not the public one Twilio calls.
    wrong_url = await stack.post_status(params, url=stack.services_url + "/sms/status")
    http = stack.fake.http
    assert http is not None
    async with http.post(stack.services_url + "/sms/status", data=params) as missing:
        missing_status = missing.status
    signed_for_sent = sign(AUTH_TOKEN, PUBLIC_STATUS, callback(sid, "sent"))
    async with http.post(
        stack.services_url + "/sms/status",
        data=params,
        headers={"X-Twilio-Signature": signed_for_sent},
    ) as tampered:
        tampered_status = tampered.status
    statuses = [wrong_token[0], wrong_url[0], missing_status, tampered_status]
    assert statuses == [403, 403, 403, 403]
    stored = await stack.message(message_id)
    assert (stored.state, stored.error_code) == ("queued", None)
    assert (await stack.client(client_id)).status == "active"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b"MessageSid=SM\xff&MessageStatus=undelivered", FORM, 400, "malformed"),
        (b"MessageStatus=undelivered", FORM + "; charset=latin-1", 415, "charset"),
        (b'{"MessageStatus": "undelivered"}', "application/json", 415, "content_type"),
    ],
)
async def test_a_malformed_form_is_4xx_logged_and_changes_nothing(
    stack: Stack,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    status: int,
    reason: str,
) -> None:
    client_id, message_id, sid = await sent_message(stack)
    caplog.set_level(logging.INFO)
    http = stack.fake.http
    assert http is not None
    async with http.post(
        stack.services_url + "/sms/status",
        data=body,
        headers={"Content-Type": content_type, "X-Twilio-Signature": "x"},
    ) as response:
        assert response.status == status
    rejected = [r for r in caplog.records if r.getMessage() == "sms_status_rejected"]
    assert [r.fields["reason"] for r in rejected] == [reason]  # type: ignore[attr-defined]
    assert (await stack.message(message_id)).state == "queued"
    assert (await stack.client(client_id)).status == "active"


async def test_a_sid_not_in_twilios_format_is_400_even_when_signed(stack: Stack) -> None:
    _, message_id, sid = await sent_message(stack)
    status, _ = await stack.post_status(callback(sid + "0", "delivered"))
    assert status == 400
    assert (await stack.message(message_id)).state == "queued"


async def test_an_unknown_message_sid_is_200_with_an_empty_body(stack: Stack) -> None:
    client_id, message_id, _ = await sent_message(stack)
    status, body = await stack.post_status(callback("SM" + "f" * 32, "delivered"))
    assert (status, body) == (200, "")
    assert (await stack.message(message_id)).state == "queued"
    assert (await stack.client(client_id)).status == "active"


async def test_21610_for_an_unknown_message_still_opts_her_out_by_number(stack: Stack) -> None:
    client_id, message_id, _ = await sent_message(stack)
    other = await stack.new_client("+14135550177")
    status, _ = await stack.post_status(
        callback("SM" + "f" * 32, "undelivered", ErrorCode="21610", To=PHONE)
    )
    assert status == 200
    assert (await stack.client(client_id)).status == "opted_out"
    assert (await stack.client(other)).status == "active"
    assert (await stack.message(message_id)).state == "queued"


async def test_a_callback_that_beats_the_saved_sid_is_still_applied(stack: Stack) -> None:
    client_id, message_id, sid = await sent_message(stack)
    async with stack.app[SESSIONS]() as session, session.begin():
        (await session.get(Message, message_id)).twilio_sid = None  # not written yet

    async def save_sid_soon() -> None:
        await asyncio.sleep(0.3)
        async with stack.app[SESSIONS]() as session, session.begin():
            (await session.get(Message, message_id)).twilio_sid = sid

    (status, _), _ = await asyncio.gather(
        stack.post_status(callback(sid, "delivered")), save_sid_soon()
    )
    assert status == 200
    assert (await stack.message(message_id)).state == "delivered"


async def test_valid_callbacks_answer_200_with_an_empty_body(stack: Stack) -> None:
    _, message_id, sid = await sent_message(stack)
    assert await stack.post_status(callback(sid, "sent")) == (200, "")
    assert await stack.post_status(callback(sid, "canceled")) == (200, "")  # not ours: ignored
    assert (await stack.message(message_id)).state == "sent"


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("queued", "sent", True),
        ("accepted", "queued", True),
        ("sending", "queued", False),
        ("sent", "delivered", True),
        ("sent", "undelivered", True),
        ("sent", "failed", True),
        ("delivered", "sent", False),
        ("delivered", "undelivered", False),
        ("delivered", "read", True),
        ("undelivered", "read", False),
        ("failed", "delivered", False),
        ("read", "delivered", False),
        ("refused", "sent", False),
        ("scheduled", "sent", True),
        ("queued", "canceled", False),
        ("twiml", "sent", False),
    ],
)
def test_state_ranking(current: str, new: str, allowed: bool) -> None:
    assert can_advance(current, new) is allowed
    assert (current in states_advancing_to(new)) is (allowed and current in OUTBOUND_STATES)


def test_final_states_never_advance_except_read_after_delivered() -> None:
    for final in FINAL_STATES:
        for new in OUTBOUND_STATES:
            assert can_advance(final, new) is (final == "delivered" and new == "read")

"""The one sender of proactive (outbound REST) messages.

Every proactive text goes through `OutboundSender.send` (or `send_many`, the same for a batch
with one transaction on each side of the Twilio calls): it refuses what
`client_status.why_not_text` refuses (she opted out; she is do-not-contact and the text does
not answer one of hers, `in_reply_to_id`), splits long texts into parts of at most two
segments, holds messages through quiet hours, the program's and her own (state "scheduled",
sent later by `send_due`, which checks again: a reply that comes this way is a late one, a
turn replayed after an outage, so it waits too), and creates each part through Twilio's REST API
(twilio_client.py) with a status callback to /sms/status. A synchronous 21610 (the number
unsubscribed at the carrier or at Twilio) opts the client out. The phone is decrypted only at
send time; logs carry ids only. The states a message moves through: message_states.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client as TwilioClient

from services.clients import status as client_status
from services.clients.lookup import UnknownClient
from services.clients.phones import PhoneVault
from services.clients.status import OPTED_OUT_BY_TWILIO
from services.db.base import utcnow
from services.db.tables import Client, Message
from services.gateway import message_log
from services.gateway.message_states import RANK, MessageState
from services.gateway.quiet_hours import first_allowed_time, next_allowed_time
from services.gateway.sms_split import split_for_sms
from services.gateway.twilio_client import (
    TWILIO_TIMEOUT_SECONDS,
    UNSUBSCRIBED,
    LazyTwilio,
    create_args,
    error_code_of,
    make_twilio_client,
)
from services.logs import log_event
from services.settings import Settings
from sms_text.segments import count_segments

logger = logging.getLogger(__name__)

# Each part of a long text is at most this many segments (about 300 GSM-7 characters).
SEGMENTS_PER_PART = 2
STATUS_PATH = "/sms/status"
# A message still "sending" with no sid this long after its last change was orphaned by a
# process that stopped mid-call (a live call gives up after TWILIO_TIMEOUT_SECONDS).
STUCK_AFTER = timedelta(minutes=10)
# Twilio calls in flight at once for one batch (send_many): Twilio queues what it accepts.
CONCURRENCY = 20


@dataclass(frozen=True)
class Outgoing:
    """One text for `send_many`; `also` as in `send`."""

    client_id: str
    text: str
    also: Callable[[AsyncSession, list[Message]], None] | None = None


@dataclass
class _Delivery:
    """Stored messages (the parts of one text) on their way to her phone."""

    client_id: str
    phone_token: str
    messages: list[Message]


@dataclass
class _Answer:
    """What Twilio said: (sid, status) per part created, in order, then the failure if any."""

    created: list[tuple[str, str | None]]
    failure: str | None = None
    error_code: int | None = None


class OutboundSender:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker,
        phones: PhoneVault,
        clock: Callable[[], datetime] = utcnow,
        twilio_client_factory: Callable[[], TwilioClient] | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._phones = phones
        self._clock = clock
        self._factory = twilio_client_factory or (lambda: make_twilio_client(settings))

    @property
    def status_callback_url(self) -> str:
        return self._settings.public_url + STATUS_PATH

    def quiet_until(self, now: datetime, client: Client | None = None) -> datetime | None:
        """When a text Tandem starts may go out: None now, else the first time outside both
        the program's quiet hours and hers. The two can chain: with hers 18:00-21:00 and the
        program's 21:00-08:00, a text at 19:00 waits until 08:00, not 21:00."""
        program, tz = self._settings.tandem_quiet_hours, self._settings.tandem_timezone
        hers = client.contact_quiet_hours if client is not None else None
        if not hers:
            return next_allowed_time(now, program, tz)
        try:
            return first_allowed_time(now, [program, hers], tz)
        except ValueError:
            # Her hours were checked against the program's when she set them; the program's
            # changed since so that together they cover the day: the program's alone apply.
            log_event(logger, "quiet_hours_cover_the_day", logging.WARNING, client_id=client.id)
            return next_allowed_time(now, program, tz)

    async def send(
        self,
        client_id: str,
        text: str,
        *,
        in_reply_to_id: int | None = None,
        reason: str = "proactive",
        also: Callable[[AsyncSession, list[Message]], None] | None = None,
    ) -> list[Message]:
        """Send `text` to the client now, or schedule it after quiet hours; refuse if she
        opted out, or is do-not-contact and this is not a reply to her. Returns the stored
        messages (one per part, or one refused message). `also` adds rows to the transaction
        that stores the accepted messages (the dashboard's audit row); it is not called for a
        refused one."""
        [messages] = await self._send([Outgoing(client_id, text, also)], in_reply_to_id, reason)
        return messages

    async def send_many(
        self, outgoing: Sequence[Outgoing], *, reason: str = "proactive"
    ) -> list[list[Message]]:
        """Many texts Tandem starts, each as `send` sends it, with fewer commits: one
        transaction stores them all, the Twilio calls run concurrently (CONCURRENCY at a
        time), and one transaction records Twilio's answers. The check-in dispatcher's batches
        go out this way."""
        return await self._send(outgoing, None, reason)

    async def _send(
        self, outgoing: Sequence[Outgoing], in_reply_to_id: int | None, reason: str
    ) -> list[list[Message]]:
        split = [split_for_sms(item.text, SEGMENTS_PER_PART) for item in outgoing]
        if not all(split):
            raise ValueError("nothing to send")
        now = self._clock()
        stored: list[list[Message]] = []
        deliveries: list[_Delivery] = []
        held: list[tuple[_Delivery, datetime]] = []
        refusals: list[tuple[Message, str]] = []
        async with self._sessions() as session, session.begin():
            ids = {item.client_id for item in outgoing}
            clients = {
                c.id: c for c in await session.scalars(select(Client).where(Client.id.in_(ids)))
            }
            for item, parts in zip(outgoing, split, strict=True):
                client = clients.get(item.client_id)
                if client is None:
                    raise UnknownClient(item.client_id)
                answering_her = in_reply_to_id is not None
                refusal = client_status.why_not_text(client, answering_her=answering_her)
                if refusal:
                    refused = self._new_message(
                        item.client_id, item.text.strip(), MessageState.REFUSED, in_reply_to_id
                    )
                    refusals.append((refused, refusal))
                    stored.append([refused])
                    continue
                send_after = self.quiet_until(now, client)
                messages = [
                    self._new_message(
                        item.client_id,
                        part,
                        MessageState.SCHEDULED if send_after else MessageState.SENDING,
                        in_reply_to_id,
                        send_after,
                    )
                    for part in parts
                ]
                stored.append(messages)
                delivery = _Delivery(item.client_id, client.phone_encrypted, messages)
                if send_after is None:
                    deliveries.append(delivery)
                else:
                    held.append((delivery, send_after))
            session.add_all(m for messages in stored for m in messages)
            await session.flush()  # one flush for the batch: ids for `also` and the logs
            for item, messages in zip(outgoing, stored, strict=True):
                if item.also is not None and messages[0].state != MessageState.REFUSED:
                    item.also(session, messages)
        for refused, refusal in refusals:
            log_event(
                logger,
                "sms_outbound_refused",
                client_id=refused.client_id,
                message_id=refused.id,
                reason=reason,
                refusal=refusal,
            )
        for delivery, send_after in held:
            log_event(
                logger,
                "sms_outbound_scheduled",
                client_id=delivery.client_id,
                message_ids=[m.id for m in delivery.messages],
                send_after=send_after.isoformat(),
                reason=reason,
            )
        if deliveries:
            async with LazyTwilio(self._factory) as twilio:
                await self._deliver(twilio, deliveries, reason)
        return stored

    async def deliver_replies(
        self, client_id: str, texts: list[str], in_reply_to_id: int | None = None
    ) -> None:
        """Bot replies she did not get in the webhook response (replayed turns), in order;
        matches `replay.Deliver`."""
        for text in texts:
            if text.strip():
                await self.send(client_id, text, in_reply_to_id=in_reply_to_id, reason="replay")

    async def send_due(self) -> int:
        """Send scheduled messages whose time has come, each at most once even with several
        workers; re-checks opt-out, do-not-contact and quiet hours. Returns how many reached
        Twilio."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            stuck = await message_log.fail_stuck_sending(session, now - STUCK_AFTER)
        if stuck:
            log_event(logger, "sms_outbound_stuck_failed", logging.WARNING, count=stuck)
        async with self._sessions() as session:
            due = list(
                await session.scalars(
                    select(Message.id)
                    .where(
                        Message.direction == "outbound",
                        Message.state == MessageState.SCHEDULED,
                        Message.send_after <= now,
                    )
                    .order_by(Message.send_after, Message.id)
                )
            )
        handed = 0
        async with LazyTwilio(self._factory) as twilio:
            for message_id in due:
                claimed = await self._claim(message_id, now)
                if claimed is None:
                    continue
                message, phone_token = claimed
                delivery = _Delivery(message.client_id, phone_token, [message])
                handed += await self._deliver(twilio, [delivery], "scheduled")
        return handed

    async def _claim(self, message_id: int, now: datetime) -> tuple[Message, str] | None:
        """Move one due message from scheduled to sending (only one worker can), then check
        that it may still go out now. Returns it with the encrypted phone, or None."""
        async with self._sessions() as session, session.begin():
            if not await message_log.claim(
                session, message_id, MessageState.SCHEDULED, MessageState.SENDING
            ):
                return None  # another worker has it
            message = await session.get(Message, message_id)
            assert message is not None
            client = await session.get(Client, message.client_id)
            answering_her = message.in_reply_to_id is not None
            refusal = (
                client_status.why_not_text(client, answering_her=answering_her)
                if client
                else "no_client"
            )
            if refusal or client is None:
                message.state = MessageState.REFUSED
                log_event(
                    logger,
                    "sms_outbound_refused",
                    client_id=message.client_id,
                    message_id=message_id,
                    refusal=refusal,
                )
                return None
            later = self.quiet_until(now, client)
            if later is not None:
                message.state, message.send_after = MessageState.SCHEDULED, later
                return None
            return message, client.phone_encrypted

    async def _deliver(self, twilio: LazyTwilio, deliveries: list[_Delivery], reason: str) -> int:
        """Create each delivery's messages (state "sending") at Twilio, in order, deliveries
        concurrently; after a failure the remaining parts of that text are not sent. Then one
        transaction records every answer. Returns how many messages Twilio accepted."""
        limit = asyncio.Semaphore(CONCURRENCY)

        async def call(delivery: _Delivery) -> _Answer:
            async with limit:
                return await self._call_twilio(twilio, delivery)

        answers = await asyncio.gather(*(call(d) for d in deliveries))
        now = self._clock()
        async with self._sessions() as session, session.begin():
            for delivery, answer in zip(deliveries, answers, strict=True):
                await self._record(session, delivery, answer, now)
        for delivery, answer in zip(deliveries, answers, strict=True):
            self._log(delivery, answer, reason)
        return sum(len(answer.created) for answer in answers)

    async def _call_twilio(self, twilio: LazyTwilio, delivery: _Delivery) -> _Answer:
        phone = self._phones.decrypt(delivery.phone_token)
        created: list[tuple[str, str | None]] = []
        for message in delivery.messages:
            try:
                result = await asyncio.wait_for(
                    twilio.get().messages.create_async(
                        **create_args(self._settings, phone, message.body, self.status_callback_url)
                    ),
                    TWILIO_TIMEOUT_SECONDS + 1,  # the HTTP client times out first
                )
            except (TwilioRestException, TwilioServiceException) as error:
                return _Answer(created, "twilio_error", error_code_of(error))
            except (aiohttp.ClientError, TimeoutError):
                return _Answer(created, "network_error")
            except Exception as error:  # never leave a message stuck in "sending"
                return _Answer(created, type(error).__name__)
            created.append((result.sid, result.status))
        return _Answer(created)

    @staticmethod
    async def _record(
        session: AsyncSession, delivery: _Delivery, answer: _Answer, now: datetime
    ) -> None:
        """Twilio's answers: a sid and state for each created part; after a failure the first
        failed part is "failed" and the rest are not sent (refused when 21610 opted her out)."""
        for message, (sid, status) in zip(delivery.messages, answer.created, strict=False):
            session.add(message)
            message.twilio_sid = sid
            message.state = MessageState(status) if status in RANK else MessageState.QUEUED
        if answer.failure is None:
            return
        opted_out = answer.error_code == UNSUBSCRIBED
        if opted_out:
            await client_status.opt_out(
                session, delivery.client_id, by=OPTED_OUT_BY_TWILIO, now=now
            )
        for position, message in enumerate(delivery.messages[len(answer.created) :]):
            session.add(message)
            if position == 0 or not opted_out:
                message.state, message.error_code = MessageState.FAILED, answer.error_code
            else:
                message.state = MessageState.REFUSED

    @staticmethod
    def _log(delivery: _Delivery, answer: _Answer, reason: str) -> None:
        for message in delivery.messages[: len(answer.created)]:
            log_event(
                logger,
                "sms_outbound_sent",
                client_id=delivery.client_id,
                message_id=message.id,
                message_sid=message.twilio_sid,
                state=message.state,
                segments=message.segments,
                reason=reason,
            )
        if answer.failure is not None:
            log_event(
                logger,
                "sms_outbound_failed",
                logging.WARNING,
                client_id=delivery.client_id,
                message_id=delivery.messages[len(answer.created)].id,
                error=answer.failure,
                error_code=answer.error_code,
                reason=reason,
            )

    @staticmethod
    def _new_message(
        client_id: str,
        body: str,
        state: MessageState,
        in_reply_to_id: int | None,
        send_after: datetime | None = None,
    ) -> Message:
        return Message(
            client_id=client_id,
            direction="outbound",
            body=body,
            segments=count_segments(body),
            state=state,
            in_reply_to_id=in_reply_to_id,
            send_after=send_after,
        )

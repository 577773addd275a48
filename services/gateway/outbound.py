"""The one sender of proactive (outbound REST) messages.

Every proactive text goes through `OutboundSender.send`: it refuses what
`client_status.why_not_text` refuses (she opted out; she is do-not-contact and the text does
not answer one of hers, `in_reply_to_id`), splits long texts into parts of at most two
segments, holds messages through quiet hours (state "scheduled", sent later by `send_due`,
which checks again), and creates each part through Twilio's REST API
(twilio_client.py) with a status callback to /sms/status. A synchronous 21610 (the number
unsubscribed at the carrier or at Twilio) opts the client out. The phone is decrypted only at
send time; logs carry ids only. The states a message moves through: message_states.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
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
from services.gateway.quiet_hours import next_allowed_time
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

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the program's quiet hours end, or None outside them."""
        return next_allowed_time(
            now, self._settings.tandem_quiet_hours, self._settings.tandem_timezone
        )

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
        parts = split_for_sms(text, SEGMENTS_PER_PART)
        if not parts:
            raise ValueError("nothing to send")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            client = await session.get(Client, client_id)
            if client is None:
                raise UnknownClient(client_id)
            refusal = client_status.why_not_text(client, answering_her=in_reply_to_id is not None)
            if refusal:
                refused = self._new_message(
                    client_id, text.strip(), MessageState.REFUSED, in_reply_to_id
                )
                session.add(refused)
                await session.flush()
                log_event(
                    logger,
                    "sms_outbound_refused",
                    client_id=client_id,
                    message_id=refused.id,
                    reason=reason,
                    refusal=refusal,
                )
                return [refused]
            send_after = self.quiet_until(now)
            messages = [
                self._new_message(
                    client_id,
                    part,
                    MessageState.SCHEDULED if send_after else MessageState.SENDING,
                    in_reply_to_id,
                    send_after,
                )
                for part in parts
            ]
            session.add_all(messages)
            await session.flush()
            if also is not None:
                also(session, messages)
            phone_token = client.phone_encrypted
        if send_after is not None:
            log_event(
                logger,
                "sms_outbound_scheduled",
                client_id=client_id,
                message_ids=[m.id for m in messages],
                send_after=send_after.isoformat(),
                reason=reason,
            )
            return messages
        async with LazyTwilio(self._factory) as twilio:
            await self._deliver(twilio, client_id, phone_token, messages, reason)
        return messages

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
                handed += await self._deliver(
                    twilio, message.client_id, phone_token, [message], "scheduled"
                )
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
            later = self.quiet_until(now)
            if later is not None:
                message.state, message.send_after = MessageState.SCHEDULED, later
                return None
            return message, client.phone_encrypted

    async def _deliver(
        self,
        twilio: LazyTwilio,
        client_id: str,
        phone_token: str,
        messages: list[Message],
        reason: str,
    ) -> int:
        """Create each message (state "sending") at Twilio, in order; after a failure the
        remaining parts are not sent. Returns how many Twilio accepted."""
        phone = self._phones.decrypt(phone_token)
        handed = 0
        for index, message in enumerate(messages):
            error_code: int | None = None
            try:
                created = await asyncio.wait_for(
                    twilio.get().messages.create_async(
                        **create_args(self._settings, phone, message.body, self.status_callback_url)
                    ),
                    TWILIO_TIMEOUT_SECONDS + 1,  # the HTTP client times out first
                )
            except (TwilioRestException, TwilioServiceException) as error:
                failure, error_code = "twilio_error", error_code_of(error)
            except (aiohttp.ClientError, TimeoutError):
                failure = "network_error"
            except Exception as error:  # never leave a message stuck in "sending"
                failure = type(error).__name__
            else:
                async with self._sessions() as session, session.begin():
                    session.add(message)
                    message.twilio_sid = created.sid
                    message.state = (
                        MessageState(created.status)
                        if created.status in RANK
                        else MessageState.QUEUED
                    )
                handed += 1
                log_event(
                    logger,
                    "sms_outbound_sent",
                    client_id=client_id,
                    message_id=message.id,
                    message_sid=created.sid,
                    state=message.state,
                    segments=message.segments,
                    reason=reason,
                )
                continue
            await self._record_failure(client_id, messages[index:], error_code)
            log_event(
                logger,
                "sms_outbound_failed",
                logging.WARNING,
                client_id=client_id,
                message_id=message.id,
                error=failure,
                error_code=error_code,
                reason=reason,
            )
            break
        return handed

    async def _record_failure(
        self, client_id: str, messages: list[Message], error_code: int | None
    ) -> None:
        """The first message failed with `error_code`; the parts after it are not sent."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            opted_out = error_code == UNSUBSCRIBED
            if opted_out:
                await client_status.opt_out(session, client_id, by=OPTED_OUT_BY_TWILIO, now=now)
            for position, message in enumerate(messages):
                session.add(message)
                if position == 0 or not opted_out:
                    message.state, message.error_code = MessageState.FAILED, error_code
                else:
                    message.state = MessageState.REFUSED

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

"""The one sender of proactive (outbound REST) messages, and the outbound state machine.

Every proactive text goes through `OutboundSender.send`: it refuses opted-out clients, splits
long texts into parts of at most two segments, holds messages through quiet hours (state
"scheduled", sent later by `send_due`), and creates each part through Twilio's REST API with a
status callback to /sms/status. A synchronous 21610 (the number unsubscribed at the carrier or
at Twilio) opts the client out. The phone is decrypted only at send time; logs carry ids only.

Outbound states, in the order Twilio reports them (see RANK):
    scheduled   held by Tandem (quiet hours); not yet given to Twilio
    refused     never sent: the client had opted out
    accepted    Twilio took it for a Messaging Service (sender not chosen yet)
    queued      Twilio queued it
    sending     being handed to Twilio (Tandem's claim) or being sent by Twilio
    sent        the carrier took it
    delivered / undelivered / failed    final
    read        after delivered (channels with read receipts)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client as TwilioClient

from services.clients import status as client_status
from services.clients.lookup import UnknownClient
from services.clients.phones import PhoneVault
from services.clients.status import OPTED_OUT_BY_TWILIO
from services.db.base import utcnow
from services.db.models import Client, Message
from services.gateway import message_log
from services.gateway.quiet_hours import next_allowed_time
from services.gateway.sms_split import split_for_sms
from services.logs import log_event
from services.settings import Settings
from sms_text.segments import count_segments

logger = logging.getLogger(__name__)

# Twilio error 21610: "Attempt to send to unsubscribed recipient".
UNSUBSCRIBED = 21610
# Each part of a long text is at most this many segments (about 300 GSM-7 characters).
SEGMENTS_PER_PART = 2
STATUS_PATH = "/sms/status"
TWILIO_TIMEOUT_SECONDS = 15.0
# A message still "sending" with no sid this long after its last change was orphaned by a
# process that stopped mid-call (a live call gives up after TWILIO_TIMEOUT_SECONDS).
STUCK_AFTER = timedelta(minutes=10)

OUTBOUND_STATES = (
    "scheduled",
    "refused",
    "queued",
    "accepted",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "read",
)
# Status callbacks may arrive out of order; a state only ever moves to a higher rank.
RANK = {
    "scheduled": 0,
    "accepted": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "read": 6,
}
# Final states: nothing moves them, except a read receipt after delivery.
FINAL_STATES = frozenset({"refused", "delivered", "undelivered", "failed", "read"})


def can_advance(current: str, new: str) -> bool:
    """May a message in state `current` move to `new` (a status Twilio reported)?"""
    if new not in RANK or (current not in RANK and current not in FINAL_STATES):
        return False
    if current in FINAL_STATES:
        return current == "delivered" and new == "read"
    return RANK[new] > RANK[current]


def states_advancing_to(new: str) -> list[str]:
    """Every state from which `new` is a move forward (for a conditional, race-free UPDATE)."""
    return [state for state in OUTBOUND_STATES if can_advance(state, new)]


class TwilioHttpClient(AsyncTwilioHttpClient):
    """twilio 9's aiohttp client, with two fixes: credentials go in an Authorization header
    (twilio 9.13 builds aiohttp.BasicAuth, deprecated since aiohttp 3.14), and requests get the
    client's timeout (twilio passes none, which means no timeout in aiohttp)."""

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
        return await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )


def make_twilio_client(settings: Settings) -> TwilioClient:
    """A twilio 9 REST client on its async HTTP client; TWILIO_API_BASE_URL redirects it.

    The v2010 Api domain builds every URL from `client.api.base_url` at request time
    (Domain.absolute_url), so overriding it sends Messages.json to the fake. Edge and region
    (TWILIO_EDGE/TWILIO_REGION) would rewrite that host, so they are cleared with an override.
    """
    client = TwilioClient(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS),
    )
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        client.edge = None
        client.region = None
    return client


class _Twilio:
    """Creates the Twilio client on first use and closes its HTTP session at the end."""

    def __init__(self, factory: Callable[[], TwilioClient]) -> None:
        self._factory = factory
        self._client: TwilioClient | None = None

    def get(self) -> TwilioClient:
        if self._client is None:
            self._client = self._factory()
        return self._client

    async def __aenter__(self) -> _Twilio:
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._client is not None:
            close = getattr(self._client.http_client, "close", None)
            if close is not None:
                await close()
            self._client = None


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

    def _quiet_until(self, now: datetime) -> datetime | None:
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
    ) -> list[Message]:
        """Send `text` to the client now, or schedule it after quiet hours; refuse if she
        opted out. Returns the stored messages (one per part, or one refused message)."""
        parts = split_for_sms(text, SEGMENTS_PER_PART)
        if not parts:
            raise ValueError("nothing to send")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            client = await session.get(Client, client_id)
            if client is None:
                raise UnknownClient(client_id)
            if client.opted_out:
                refused = self._new_message(client_id, text.strip(), "refused", in_reply_to_id)
                session.add(refused)
                await session.flush()
                log_event(
                    logger,
                    "sms_outbound_refused",
                    client_id=client_id,
                    message_id=refused.id,
                    reason=reason,
                )
                return [refused]
            send_after = self._quiet_until(now)
            messages = [
                self._new_message(
                    client_id,
                    part,
                    "scheduled" if send_after else "sending",
                    in_reply_to_id,
                    send_after,
                )
                for part in parts
            ]
            session.add_all(messages)
            await session.flush()
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
        async with _Twilio(self._factory) as twilio:
            await self._deliver(twilio, client_id, phone_token, messages, reason)
        return messages

    async def deliver_replies(
        self, client_id: str, texts: list[str], in_reply_to_id: int | None = None
    ) -> None:
        """Bot replies she did not get in the webhook response (replayed turns), in order;
        matches `inbound.Deliver`."""
        for text in texts:
            if text.strip():
                await self.send(client_id, text, in_reply_to_id=in_reply_to_id, reason="replay")

    async def send_due(self) -> int:
        """Send scheduled messages whose time has come, each at most once even with several
        workers; re-checks opt-out and quiet hours. Returns how many reached Twilio."""
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
                        Message.state == "scheduled",
                        Message.send_after <= now,
                    )
                    .order_by(Message.send_after, Message.id)
                )
            )
        handed = 0
        async with _Twilio(self._factory) as twilio:
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
            if not await message_log.claim(session, message_id, "scheduled", "sending"):
                return None  # another worker has it
            message = await session.get(Message, message_id)
            assert message is not None
            client = await session.get(Client, message.client_id)
            if client is None or client.opted_out:
                message.state = "refused"
                log_event(
                    logger,
                    "sms_outbound_refused",
                    client_id=message.client_id,
                    message_id=message_id,
                )
                return None
            later = self._quiet_until(now)
            if later is not None:
                message.state, message.send_after = "scheduled", later
                return None
            return message, client.phone_encrypted

    async def _deliver(
        self,
        twilio: _Twilio,
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
                    twilio.get().messages.create_async(**self._create_args(phone, message.body)),
                    TWILIO_TIMEOUT_SECONDS + 1,  # the HTTP client times out first
                )
            except (TwilioRestException, TwilioServiceException) as error:
                failure, error_code = "twilio_error", _int_or_none(error.code)
            except (aiohttp.ClientError, TimeoutError):
                failure = "network_error"
            except Exception as error:  # never leave a message stuck in "sending"
                failure = type(error).__name__
            else:
                async with self._sessions() as session, session.begin():
                    session.add(message)
                    message.twilio_sid = created.sid
                    message.state = created.status if created.status in RANK else "queued"
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
                    message.state, message.error_code = "failed", error_code
                else:
                    message.state = "refused"

    def _create_args(self, phone: str, body: str) -> dict[str, str]:
        args = {"to": phone, "body": body, "status_callback": self.status_callback_url}
        if self._settings.twilio_messaging_service_sid:
            args["messaging_service_sid"] = self._settings.twilio_messaging_service_sid
        else:
            args["from_"] = self._settings.twilio_from_number
        return args

    @staticmethod
    def _new_message(
        client_id: str,
        body: str,
        state: str,
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


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None

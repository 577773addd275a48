"""Fixtures for outbound SMS: the real services app (with /sms/status) and a real fake Twilio
server, wired the way production is: the sender talks REST to the fake, and the fake posts
signed status callbacks for TANDEM_PUBLIC_URL/sms/status, delivered to the services server
(as a proxy in front of Tandem would)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from twilio.rest import Client as TwilioClient

from services.app import create_app
from services.app_keys import PHONES, SESSIONS
from services.clients.lookup import find_or_create_client
from services.db.tables import Client, Message
from services.gateway import status
from services.gateway.fake_twilio import FAKE_TWILIO, create_fake_twilio_app
from services.gateway.fake_twilio_state import FakeTwilio
from services.gateway.outbound import OutboundSender
from services.gateway.signature import sign
from services.settings import Settings
from tests.services.conftest import AUTH_TOKEN

PHONE = "+14135550161"
PUBLIC_STATUS = "https://tandem.example.org/sms/status"
# Noon in Massachusetts (EDT): outside quiet hours.
NOON = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
# 23:00 EDT: inside quiet hours, which end at 08:00 EDT (12:00 UTC) the next day.
LATE_EVENING = datetime(2026, 6, 16, 3, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 6, 16, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = NOON

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def ensure_status_routes(app: web.Application) -> None:
    """Register /sms/status unless the app factory already does."""
    if not any(resource.canonical == "/sms/status" for resource in app.router.resources()):
        app.add_routes(status.routes)


@dataclass
class Stack:
    settings: Settings  # with TWILIO_API_BASE_URL pointing at the fake
    app: web.Application
    services_url: str
    fake: FakeTwilio
    fake_url: str
    clock: Clock = field(default_factory=Clock)

    def sender(
        self, twilio_client_factory: Callable[[], TwilioClient] | None = None, **overrides: object
    ) -> OutboundSender:
        settings = self.settings.model_copy(update=overrides) if overrides else self.settings
        return OutboundSender(
            settings,
            self.app[SESSIONS],
            self.app[PHONES],
            clock=self.clock,
            twilio_client_factory=twilio_client_factory,
        )

    async def set_status(self, client_id: str, status: str) -> None:
        async with self.app[SESSIONS]() as session, session.begin():
            client = await session.get(Client, client_id)
            assert client is not None
            client.status = status

    async def new_client(self, phone: str = PHONE) -> str:
        async with self.app[SESSIONS]() as session, session.begin():
            client = await find_or_create_client(session, self.app[PHONES], phone)
            return client.id

    async def client(self, client_id: str) -> Client:
        async with self.app[SESSIONS]() as session:
            client = await session.get(Client, client_id)
            assert client is not None
            return client

    async def messages(self, client_id: str) -> list[Message]:
        async with self.app[SESSIONS]() as session:
            rows = await session.scalars(
                select(Message)
                .where(Message.client_id == client_id, Message.direction == "outbound")
                .order_by(Message.id)
            )
            return list(rows)

    async def message(self, message_id: int) -> Message:
        async with self.app[SESSIONS]() as session:
            message = await session.get(Message, message_id)
            assert message is not None
            return message

    async def post_status(
        self, params: dict[str, str], token: str = AUTH_TOKEN, url: str = PUBLIC_STATUS
    ) -> tuple[int, str]:
        """A status callback signed with `token` for `url`, posted to the services app."""
        async with self.fake.http.post(  # type: ignore[union-attr]
            self.services_url + "/sms/status",
            data=params,
            headers={"X-Twilio-Signature": sign(token, url, params)},
        ) as response:
            return response.status, await response.text()


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    app = create_app(settings)
    ensure_status_routes(app)
    async with TestServer(app) as services:
        services_url = str(services.make_url("")).rstrip("/")
        fake_app = create_fake_twilio_app(
            AUTH_TOKEN, callback_delay=0.01, callback_base_url=services_url
        )
        async with TestServer(fake_app) as fake_server:
            fake_url = str(fake_server.make_url("")).rstrip("/")
            fake = fake_app[FAKE_TWILIO]
            yield Stack(
                settings=settings.model_copy(update={"twilio_api_base_url": fake_url}),
                app=app,
                services_url=services_url,
                fake=fake,
                fake_url=fake_url,
            )
            await fake.drain()

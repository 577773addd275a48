"""Fixtures for check-in tests: the services app with a fake Twilio behind the outbound path,
and dispatchers on a clock the test moves (no sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from services.app import create_app
from services.app_keys import PHONES, SESSIONS, SETTINGS
from services.checkins import schedule
from services.checkins.dispatcher import BATCH_SIZE, Announce, CheckInDispatcher
from services.db.tables import CheckIn, Message
from services.gateway.fake_twilio import FAKE_TWILIO, create_fake_twilio_app
from services.gateway.fake_twilio_state import FakeTwilio
from services.gateway.outbound import OutboundSender
from services.settings import Settings
from tests.services.conftest import AUTH_TOKEN, FakeRasa


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class CheckIns:
    client: TestClient  # the services app (quiet hours off unless a test sets them)
    fake: FakeTwilio
    rasa: FakeRasa

    def dispatcher(
        self,
        at: datetime,
        announce: Announce | None = None,
        batch_size: int = BATCH_SIZE,
        **settings: object,
    ) -> CheckInDispatcher:
        app = self.client.app
        base: Settings = app[SETTINGS]
        configured = base.model_copy(update=settings) if settings else base
        clock = Clock(at)
        sender = OutboundSender(configured, app[SESSIONS], app[PHONES], clock=clock)
        return CheckInDispatcher(
            configured, app[SESSIONS], sender, clock=clock, announce=announce, batch_size=batch_size
        )

    async def dispatch(self, at: datetime, **settings: object) -> int:
        return await self.dispatcher(at, **settings).dispatch_due()

    def texts_to(self, phone: str) -> list[str]:
        return [str(r.body) for r in self.fake.messages if r.to == phone]

    async def rows(self, client_id: str) -> list[CheckIn]:
        async with self.client.app[SESSIONS]() as session:
            found = await session.scalars(
                select(CheckIn).where(CheckIn.client_id == client_id).order_by(CheckIn.id)
            )
            return list(found)

    async def pending(self, client_id: str) -> list[CheckIn]:
        return [r for r in await self.rows(client_id) if r.state == schedule.PENDING]

    async def due_at(self, client_id: str, kind: str) -> datetime:
        [row] = [r for r in await self.pending(client_id) if r.kind == kind]
        return row.due_at

    async def timeline(self, client_id: str) -> list[tuple[str, str]]:
        """Her outbound messages as the case manager's timeline shows them: (state, text)."""
        async with self.client.app[SESSIONS]() as session:
            found = await session.scalars(
                select(Message)
                .where(Message.client_id == client_id, Message.direction == "outbound")
                .order_by(Message.id)
            )
            return [(m.state, m.body) for m in found]


@pytest.fixture
async def checkins(settings: Settings, fake_rasa: tuple[FakeRasa, str]) -> AsyncIterator[CheckIns]:
    fake_app = create_fake_twilio_app(AUTH_TOKEN, auto_callbacks=False)
    async with TestServer(fake_app) as fake_server:
        configured = settings.model_copy(
            update={
                "twilio_api_base_url": str(fake_server.make_url("")).rstrip("/"),
                "tandem_quiet_hours": "00:00-00:00",
                "rasa_url": fake_rasa[1],
            }
        )
        app = create_app(configured)
        async with TestClient(TestServer(app)) as client:
            yield CheckIns(client, fake_app[FAKE_TWILIO], fake_rasa[0])
        await fake_app[FAKE_TWILIO].drain()


MINUTE = timedelta(minutes=1)

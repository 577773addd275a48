"""Two dispatchers (two services processes: separate engines and connection pools) against
one PostgreSQL database send each due check-in exactly once (SELECT ... FOR UPDATE SKIP
LOCKED). Skipped without TANDEM_TEST_POSTGRES_URL (the Makefile sets it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.checkins import schedule
from services.checkins.dispatcher import CheckInDispatcher
from services.cli.local import alembic_config
from services.clients.phones import PhoneVault
from services.db import encrypted
from services.db.base import utcnow
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import CheckIn, Client, Message
from services.gateway.counting_twilio import CountingTwilio
from services.gateway.outbound import OutboundSender
from services.settings import Settings
from tests.postgres import scratch_database
from tests.services.conftest import make_settings

WOMEN = 300


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_database("tandem_checkins") as url:
        rendered = url.render_as_string(hide_password=False)
        command.upgrade(alembic_config(rendered), "head")
        yield rendered


async def _dispatch(settings: Settings, twilio: CountingTwilio, now: datetime) -> int:
    engine = make_engine(settings.effective_database_url)
    try:
        sessions = make_sessionmaker(engine)
        vault = PhoneVault(settings.tandem_phone_hash_key, settings.tandem_phone_encryption_keys)
        clock = lambda: now  # noqa: E731
        sender = OutboundSender(settings, sessions, vault, clock, lambda: twilio)  # type: ignore[arg-type, return-value]
        dispatcher = CheckInDispatcher(settings, sessions, sender, clock, batch_size=15)
        return await dispatcher.dispatch_due()
    finally:
        await engine.dispose()


async def test_two_dispatchers_send_each_check_in_once(postgres_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url, tandem_quiet_hours="00:00-00:00")
    encrypted.use_keys(settings.tandem_phone_encryption_keys)
    vault = PhoneVault(settings.tandem_phone_hash_key, settings.tandem_phone_encryption_keys)
    now = utcnow()
    engine = make_engine(postgres_url)
    try:
        await _check_two_dispatchers(settings, vault, now, make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _check_two_dispatchers(
    settings: Settings, vault: PhoneVault, now: datetime, sessions: async_sessionmaker
) -> None:
    phones = [f"+1413556{n:04d}" for n in range(WOMEN)]
    async with sessions() as session, session.begin():
        for n, phone in enumerate(phones):
            her = Client(
                phone_hash=vault.lookup_hash(phone),
                phone_encrypted=vault.encrypt(phone),
                checkin_cadence="weekly" if n % 3 == 0 else None,
            )
            session.add(her)
            await session.flush()
            kind = "regular" if n % 3 == 0 else "support"
            schedule.add(session, her.id, kind, now, now)

    twilio = CountingTwilio()
    counts = await asyncio.gather(
        _dispatch(settings, twilio, now), _dispatch(settings, twilio, now)
    )
    assert sum(counts) == WOMEN
    assert all(counts), f"both dispatchers took part: {counts}"
    assert twilio.duplicates == 0
    assert sorted(to for to, _ in twilio.sent) == sorted(phones)

    async with sessions() as session:
        rows = await session.execute(select(CheckIn.state, func.count()).group_by(CheckIn.state))
        states = {state: count for state, count in rows}
        outbound = await session.scalar(select(func.count()).select_from(Message))
    # Every check-in sent once; every regular one scheduled its next exactly once.
    assert states == {"sent": WOMEN, "pending": WOMEN // 3}
    assert outbound == WOMEN

"""Helpers for the casework tests (the queue, her page, live updates, do-not-contact, staff
admin): the app with a fake Twilio behind the outbound path and one account of each role,
and the few steps every such test takes. Test modules take the fixtures by assignment
(`app = casework_support.app`), as fixtures_twilio's users do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from services.alerts.alerts import raise_alert
from services.app_keys import SESSIONS
from services.db.base import utcnow
from services.db.tables import (
    Client,
    Referral,
    ReferralStatusChange,
    StaffAccount,
)
from services.gateway.fake_twilio import FAKE_TWILIO, create_fake_twilio_app
from services.gateway.fake_twilio_state import FakeTwilio
from services.settings import Settings
from tests.services.conftest import AUTH_TOKEN
from tests.services.dashboard_support import (
    add_staff,
    audit_rows,
    csrf,
    dashboard,
    login,
)
from tests.services.referral_support import BUPRENORPHINE, add_woman

PHONE = "+14135550177"
CM, CM2, ADMIN, PROGRAM = (
    "cm@example.org",
    "cm2@example.org",
    "admin@example.org",
    "program@example.org",
)


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    fake_app = create_fake_twilio_app(AUTH_TOKEN, auto_callbacks=False)
    async with TestServer(fake_app) as fake_server:
        yield fake_app[FAKE_TWILIO], str(fake_server.make_url("")).rstrip("/")
        await fake_app[FAKE_TWILIO].drain()


@pytest.fixture
async def app(settings: Settings, twilio: tuple[FakeTwilio, str]) -> AsyncIterator[TestClient]:
    """The app with a fake Twilio behind the outbound path, no quiet hours, and one account
    of each role (the test client is logged in as none of them)."""
    async with dashboard(
        settings, twilio_api_base_url=twilio[1], tandem_quiet_hours="00:00-00:00"
    ) as client:
        for email, role in (
            (CM, "case_manager"),
            (CM2, "case_manager"),
            (ADMIN, "admin"),
            (PROGRAM, "program_staff"),
        ):
            await add_staff(client, email, role)
        yield client


async def staff_id(client: TestClient, email: str) -> int:
    async with client.app[SESSIONS]() as session:
        found = await session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
        assert found is not None
        return found


async def as_(client: TestClient, email: str) -> None:
    assert (await login(client, email)).status == 303


def her_page(client_id: str) -> str:
    return f"/dashboard/clients/{client_id}"


async def on_her_page(
    client: TestClient, email: str = CM, *, phone: str = PHONE, name: str | None = None
) -> tuple[str, str]:
    """A new woman, and `email` logged in to look at her: her id and her page's path."""
    her = await add_woman(client, phone=phone, name=name)
    await as_(client, email)
    return her, her_page(her)


async def her_row(client: TestClient, client_id: str) -> Client:
    """Her stored row, as it is now."""
    async with client.app[SESSIONS]() as session:
        return await session.get_one(Client, client_id)


async def assign(client: TestClient, client_id: str, email: str | None) -> None:
    owner = await staff_id(client, email) if email else None
    async with client.app[SESSIONS]() as session, session.begin():
        row = await session.get(Client, client_id)
        assert row is not None
        row.assigned_to = owner


async def add_alert(client: TestClient, client_id: str, kind: str, minutes_ago: float = 0) -> int:
    async with client.app[SESSIONS]() as session, session.begin():
        alert = await raise_alert(session, client_id, kind)
        alert.created_at = utcnow() - timedelta(minutes=minutes_ago)
        return alert.id


async def add_referral(
    client: TestClient, client_id: str, status: str = "requested", days_ago: float = 0
) -> int:
    at = utcnow() - timedelta(days=days_ago)
    async with client.app[SESSIONS]() as session, session.begin():
        referral = Referral(
            client_id=client_id,
            service_id=BUPRENORPHINE,
            need="moud_buprenorphine",
            created_by="bot",
            status=status,
            created_at=at,
        )
        session.add(referral)
        await session.flush()
        session.add(
            ReferralStatusChange(
                referral_id=referral.id, to_status=status, actor="bot", created_at=at
            )
        )
        return referral.id


async def form(client: TestClient, page: str, path: str, **fields: str):  # type: ignore[no-untyped-def]
    """POST a form with the CSRF token of `page`, not following the redirect."""
    token = await csrf(client, page)
    return await client.post(path, data={"csrf_token": token, **fields}, allow_redirects=False)


async def one_new_audit_row(client: TestClient, before: int, action: str) -> None:
    rows = await audit_rows(client)
    assert [r.action for r in rows[before:]] == [action]

"""Helpers for the dashboard tests: an app with staff accounts and a cheap argon2, logging in
through the real form (with its CSRF token), and the audit rows written."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from sqlalchemy import select

from services.app import create_app
from services.app_keys import SESSIONS, STAFF
from services.dashboard.accounts import Passwords
from services.dashboard.audit import CLI
from services.db.tables import AuditEvent
from services.settings import Settings

PASSWORD = "correct horse battery"
# The real parameters cost about 50 ms a hash; the tests hash hundreds of times.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@asynccontextmanager
async def dashboard(settings: Settings, **overrides: object) -> AsyncIterator[TestClient]:
    values: dict[str, object] = {"tandem_secure_cookies": False}
    values.update(overrides)
    app = create_app(settings.model_copy(update=values))
    async with TestClient(TestServer(app)) as client:
        client.app[STAFF].passwords = Passwords(FAST)
        yield client


async def add_staff(
    client: TestClient, email: str, role: str, password: str | None = PASSWORD
) -> str | None:
    """A new account; the set-password link token when no password is given."""
    _, token = await client.app[STAFF].add(email, role, password, CLI)
    return token


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def csrf(client: TestClient, path: str = "/dashboard/login") -> str:
    response = await client.get(path)
    return csrf_of(await response.text())


async def login(client: TestClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = await csrf(client)
    return await client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )


async def audit_rows(client: TestClient) -> list[AuditEvent]:
    async with client.app[SESSIONS]() as session:
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())


async def audit_counts(client: TestClient) -> Counter[str]:
    return Counter(row.action for row in await audit_rows(client))


def other_browser(client: TestClient) -> aiohttp.ClientSession:
    """Another browser on the same server, with its own cookies."""
    return aiohttp.ClientSession(
        base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )

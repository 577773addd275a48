"""X-Forwarded-For and X-Forwarded-Proto count only from TANDEM_TRUSTED_PROXIES: a spoofed
header from anyone else does not dodge the login rate limit, and behind a trusted proxy each
real client is limited (and audited) under her own address. The test client connects from
127.0.0.1, which is the proxy in these tests when trusted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from services.app_keys import SETTINGS
from services.forwarded import forwarded
from services.proxies import client_address, client_scheme, parse_networks
from services.settings import Settings
from tests.services.dashboard_support import add_staff, audit_rows, csrf_of, dashboard

EMAIL = "maria@example.org"
WRONG = "wrong password here"
TOO_MANY = "Too many wrong tries"


@asynccontextmanager
async def limited(settings: Settings, tries: int, proxies: str = "") -> AsyncIterator[TestClient]:
    """The dashboard refusing an address after `tries` wrong logins, behind `proxies`, with
    EMAIL's account."""
    async with dashboard(
        settings, tandem_login_ip_limit_count=tries, tandem_trusted_proxies=proxies
    ) as client:
        await add_staff(client, EMAIL, "admin")
        yield client


async def failed_from(client: TestClient) -> list[str | None]:
    """The address audited for each failed login, in order."""
    return [row.ip for row in await audit_rows(client) if row.action == "login_failed"]


async def wrong_login(client: TestClient, forwarded_for: str | None = None) -> int:
    """A wrong password through the real form, as sent through a proxy (or not)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    page = await client.get("/dashboard/login", headers=headers)
    response = await client.post(
        "/dashboard/login",
        data={"email": EMAIL, "password": WRONG, "csrf_token": csrf_of(await page.text())},
        headers=headers,
        allow_redirects=False,
    )
    return response.status


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_still_limited(
    settings: Settings,
) -> None:
    # A proxy is configured, but this peer (127.0.0.1) is not it.
    async with limited(settings, 3, proxies="10.0.0.0/8") as client:
        statuses = [await wrong_login(client, f"203.0.113.{n}") for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert set(await failed_from(client)) == {"127.0.0.1"}


async def test_with_no_trusted_proxies_the_headers_are_ignored(settings: Settings) -> None:
    async with limited(settings, 2) as client:
        statuses = [await wrong_login(client, f"198.51.100.{n}") for n in range(3)]
        assert statuses == [401, 401, 429]


async def test_behind_a_trusted_proxy_each_client_is_limited_on_her_own(
    settings: Settings,
) -> None:
    async with limited(settings, 2, proxies="127.0.0.1, 10.0.0.0/8") as client:
        # A client who forges the header gains nothing: the proxy appends what it saw.
        first = [await wrong_login(client, f"192.0.2.{n}, 203.0.113.7") for n in range(3)]
        assert first == [401, 401, 429]
        # Another woman behind the same proxy (and an inner one of 10/8) is not refused.
        assert await wrong_login(client, "198.51.100.20, 10.1.2.3") == 401
        assert await failed_from(client) == ["203.0.113.7", "203.0.113.7", "198.51.100.20"]


def test_the_client_is_the_rightmost_untrusted_hop() -> None:
    trusted = parse_networks("10.0.0.0/8,2001:db8::/32")
    assert client_address("10.0.0.1", ["6.6.6.6, 1.2.3.4, 10.0.0.9"], trusted) == "1.2.3.4"
    assert client_address("10.0.0.1", ["6.6.6.6", "1.2.3.4"], trusted) == "1.2.3.4"
    assert client_address("2001:db8::1", ["2001:db8::2, 2001:db8::3"], trusted) == "2001:db8::2"
    assert client_address("192.0.2.1", ["1.2.3.4"], trusted) == "192.0.2.1"
    assert client_address("10.0.0.1", [], trusted) == "10.0.0.1"
    # An unreadable hop stops the walk at the last trusted address before it.
    assert client_address("10.0.0.1", ["1.2.3.4, junk, 10.0.0.2"], trusted) == "10.0.0.2"
    assert client_address("::ffff:10.0.0.1", ["1.2.3.4"], trusted) == "1.2.3.4"


def test_the_scheme_comes_from_a_trusted_proxy_only() -> None:
    trusted = parse_networks("10.0.0.1")
    assert client_scheme("10.0.0.1", "http", "https", trusted) == "https"
    assert client_scheme("10.0.0.2", "http", "https", trusted) == "http"
    assert client_scheme("10.0.0.1", "http", "gopher", trusted) == "http"
    assert client_scheme("10.0.0.1", "http", "http, https", trusted) == "https"


async def test_handlers_see_the_clients_address_and_scheme(settings: Settings) -> None:
    async def who(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.remote} {request.scheme} {request.secure}")

    for proxies, expected in (("127.0.0.1", "1.2.3.4 https True"), ("", "127.0.0.1 http False")):
        app = web.Application(middlewares=[forwarded])
        app[SETTINGS] = settings.model_copy(update={"tandem_trusted_proxies": proxies})
        app.router.add_get("/", who)
        async with TestClient(TestServer(app)) as client:
            response = await client.get(
                "/", headers={"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
            )
            assert await response.text() == expected


def test_a_bad_proxy_entry_stops_tandem_at_start() -> None:
    with pytest.raises(ValidationError, match="'10.0.0.300' is not an IP address"):
        Settings(_env_file=None, tandem_trusted_proxies="10.0.0.1, 10.0.0.300")  # type: ignore[call-arg]

"""Roles in one place and no route without a guard: every route of the app is walked without
credentials; staff sessions open no /api/* route; each role is refused from admin pages."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from services.dashboard import access
from services.settings import Settings
from tests.services.conftest import SERVICE_TOKEN
from tests.services.dashboard_support import (
    add_staff,
    audit_rows,
    csrf_of,
    dashboard,
    login,
    other_browser,
)

SAMPLE = {"token": "x" * 43}


def concrete(path: str) -> str:
    """A path with each {variable} filled in."""
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: SAMPLE.get(m.group(1), "1"), path)


def app_routes(app: web.Application) -> list[tuple[str, str, str | None]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if route.method != "HEAD" and path:
            found.append((route.method, path, route.name))
    return found


async def test_every_route_has_a_guard_and_refuses_a_stranger(settings: Settings) -> None:
    async with dashboard(settings) as client:
        routes = app_routes(client.app)
        assert len(routes) > 25
        unguarded = [r for r in routes if access.route_guard(r[1]) == "none"]
        assert unguarded == []
        dashboard_names = {name for _, path, name in routes if path.startswith("/dashboard/")}
        assert dashboard_names == set(access.ROUTE_ROLES)
        for method, path, name in routes:
            kind = access.route_guard(path)
            url = concrete(path)
            data = {"Body": "hi"} if method == "POST" else None
            response = await client.request(method, url, allow_redirects=False, data=data)
            if kind == "open" or (kind == "staff_session" and access.is_public(name)):
                continue
            expected = {
                "service_token": {401},
                "twilio_signature": {403},
                "staff_session": {303, 403},  # GET: to the login page; POST: no CSRF token
            }[kind]
            assert response.status in expected, (method, path, response.status)
            if response.status == 303:
                assert response.headers["Location"] == "/dashboard/login"


async def test_a_staff_session_does_not_open_the_api(settings: Settings) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, "admin@example.org", "admin")
        assert (await login(client, "admin@example.org")).status == 303
        cookies = "; ".join(f"{c.key}={c.value}" for c in client.session.cookie_jar)
        for path in ("/api/alerts", "/metrics"):
            response = await client.get(path, headers={"Cookie": cookies})
            assert response.status == 401
        # And the service token does not open the dashboard.
        async with other_browser(client) as bot:
            response = await bot.get(
                "/dashboard/audit",
                headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
                allow_redirects=False,
            )
            assert response.status == 303


@pytest.mark.parametrize("role", ["case_manager", "program_staff"])
async def test_each_role_is_refused_every_dashboard_route_it_may_not_reach(
    settings: Settings, role: str
) -> None:
    """Logged in, with a valid CSRF token: every page and action the table does not give her
    role (admin pages and staff management; for program staff also every client record) is
    403, and nothing is done or audited."""
    async with dashboard(settings) as client:
        await add_staff(client, "someone@example.org", role)
        assert (await login(client, "someone@example.org")).status == 303
        token = csrf_of(await (await client.get("/dashboard/password")).text())
        before = await audit_rows(client)
        refused = []
        for method, path, name in app_routes(client.app):
            if not path.startswith("/dashboard/") or access.allowed(name, role):
                continue
            data = {"csrf_token": token} if method == "POST" else None
            response = await client.request(
                method, concrete(path), data=data, allow_redirects=False
            )
            assert response.status == 403, (role, method, path)
            refused.append(name)
        assert len(await audit_rows(client)) == len(before)
        assert {"dashboard.audit", "dashboard.staff", "dashboard.staff_add"} <= set(refused)
        assert ("dashboard.client" in refused) is (role == "program_staff")


@pytest.mark.parametrize("role", ["case_manager", "program_staff"])
async def test_only_admins_open_the_audit_log(settings: Settings, role: str) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, "someone@example.org", role)
        assert (await login(client, "someone@example.org")).status == 303
        home = await client.get("/dashboard/")
        assert home.status == 200 and "Audit log" not in await home.text()
        refused = await client.get("/dashboard/audit", allow_redirects=False)
        assert refused.status == 403


async def test_an_admin_opens_the_audit_log(settings: Settings) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, "admin@example.org", "admin")
        assert (await login(client, "admin@example.org")).status == 303
        assert (await client.get("/dashboard/audit")).status == 200


def test_roles_are_decided_by_the_table() -> None:
    assert access.allowed("dashboard.audit", "admin")
    assert not access.allowed("dashboard.audit", "case_manager")
    assert access.allowed("dashboard.home", "program_staff")
    assert not access.allowed("dashboard.not_in_the_table", "admin")
    assert access.is_public("dashboard.login") and not access.is_public("dashboard.home")

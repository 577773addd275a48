"""The audit log: one row per staff action, readable and filterable by admins only, and
append-only in the database itself (UPDATE and DELETE refused by triggers), on SQLite and,
when TANDEM_TEST_POSTGRES_URL names a server, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import DBAPIError

from services.cli.local import alembic_config
from services.db.base import utcnow
from services.db.engine import make_engine
from services.settings import Settings
from tests.postgres import scratch_database
from tests.services.dashboard_support import (
    PASSWORD,
    add_staff,
    audit_counts,
    audit_rows,
    csrf,
    dashboard,
    login,
)

ADMIN = "admin@example.org"
CM = "cm@example.org"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_database("tandem_audit") as url:
        yield url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    return request.getfixturevalue("postgres_url")


async def _try_to_rewrite_history(url: str) -> list[str]:
    engine = make_engine(url)
    refused = []
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO audit_log (at, action, source) VALUES (:at, 'login_failed', 'web')"
                ),
                {"at": utcnow()},
            )
        statements = [
            "UPDATE audit_log SET action = 'login_succeeded'",
            "UPDATE audit_log SET ip = '10.0.0.1'",
            "DELETE FROM audit_log",
        ]
        if url.startswith("postgresql"):
            statements.append("TRUNCATE audit_log")
        for statement in statements:
            try:
                async with engine.begin() as connection:
                    await connection.execute(sa.text(statement))
            except DBAPIError as error:
                assert "append-only" in str(error)
                refused.append(statement)
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.text("SELECT action, ip FROM audit_log"))).all()
        assert [tuple(r) for r in rows] == [("login_failed", None)]
    finally:
        await engine.dispose()
    return refused


def test_the_database_refuses_to_change_or_delete_audit_rows(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
    refused = asyncio.run(_try_to_rewrite_history(database_url))
    assert len(refused) == (4 if database_url.startswith("postgresql") else 3)


async def test_each_action_writes_exactly_one_row(settings: Settings) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, ADMIN, "admin")
        await login(client, ADMIN, "wrong password here")
        await login(client, "nobody@example.org", "wrong password here")
        await login(client, ADMIN)
        new = "another long passphrase"
        await client.post(
            "/dashboard/password",
            data={
                "csrf_token": await csrf(client, "/dashboard/password"),
                "current_password": PASSWORD,
                "new_password": new,
                "confirm_password": new,
            },
        )
        await client.post("/dashboard/logout", data={"csrf_token": await csrf(client)})
        assert await audit_counts(client) == {
            "staff_created": 1,
            "login_failed": 2,
            "login_succeeded": 1,
            "password_changed": 1,
            "logout": 1,
        }
        rows = await audit_rows(client)
        unknown = [r for r in rows if r.action == "login_failed" and r.actor_id is None]
        assert len(unknown) == 1  # the email typed is not kept
        for row in rows:
            text = " ".join(str(v) for v in vars(row).values())
            assert PASSWORD not in text and new not in text and "nobody" not in text


async def test_admins_filter_the_audit_log(settings: Settings) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, ADMIN, "admin")
        await add_staff(client, CM, "case_manager")
        await login(client, CM)
        await client.post("/dashboard/logout", data={"csrf_token": await csrf(client)})
        await login(client, CM, "wrong password here")
        await login(client, ADMIN)

        page = await (await client.get("/dashboard/audit", params={"actor": CM})).text()
        assert page.count(f"<td>{CM}</td>") == 3 and f"<td>{ADMIN}</td>" not in page
        page = await (
            await client.get("/dashboard/audit", params={"actor": CM, "action": "logout"})
        ).text()
        assert page.count("<td>logout</td>") == 1 and "<td>login_failed</td>" not in page
        today = utcnow().date()
        page = await (
            await client.get("/dashboard/audit", params={"from": today.isoformat()})
        ).text()
        assert "<td>staff_created</td>" in page
        tomorrow = (today + timedelta(days=1)).isoformat()
        page = await (await client.get("/dashboard/audit", params={"from": tomorrow})).text()
        assert "0 entries" in page
        yesterday = (today - timedelta(days=1)).isoformat()
        page = await (await client.get("/dashboard/audit", params={"to": yesterday})).text()
        assert "0 entries" in page
        # Unknown filters are ignored, not errors.
        response = await client.get(
            "/dashboard/audit", params={"action": "drop table", "from": "yesterday"}
        )
        assert response.status == 200

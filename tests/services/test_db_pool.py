"""The services' PostgreSQL pool (services/db/engine.py): connections in steady use are not
pinged before each use, and one that PostgreSQL cut while it sat idle (a restart, an admin's
pg_terminate_backend) is replaced before her message needs it, so the message goes through."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from services.db import engine as engine_module
from services.db.engine import make_engine
from tests.postgres import scratch_database


@pytest.fixture
def database_url() -> str:
    with scratch_database("pool") as url:
        yield url.render_as_string(hide_password=False)


def count_pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        pings.append(1)
        ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    return pings


async def backend_pid(engine: sa.ext.asyncio.AsyncEngine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()


def test_a_connection_in_steady_use_is_not_pinged(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = count_pings(monkeypatch)

    async def use() -> set[int]:
        engine = make_engine(database_url)
        try:
            return {await backend_pid(engine) for _ in range(5)}
        finally:
            await engine.dispose()

    assert len(asyncio.run(use())) == 1  # one pooled connection, reused
    assert pings == []


def test_a_connection_cut_while_idle_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.2)
    pings = count_pings(monkeypatch)

    async def cut_then_use() -> tuple[int, int]:
        engine = make_engine(database_url)
        admin = make_engine(database_url)
        try:
            first = await backend_pid(engine)
            async with admin.connect() as connection:
                await connection.execute(sa.text(f"SELECT pg_terminate_backend({first})"))
            await asyncio.sleep(0.4)
            return first, await backend_pid(engine)  # no error: a new connection answers
        finally:
            await engine.dispose()
            await admin.dispose()

    first, second = asyncio.run(cut_then_use())
    assert second != first
    assert len(pings) == 1

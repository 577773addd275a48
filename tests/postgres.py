"""A throwaway PostgreSQL database for tests that must run on the real server as well as on
SQLite. The server comes from TANDEM_TEST_POSTGRES_URL (the Makefile sets it to the local
PostgreSQL); without it the test is skipped."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from services.db.engine import make_engine


@contextmanager
def scratch_database(prefix: str) -> Iterator[URL]:
    """A new empty database named ``<prefix>_<random>`` on the test server (its URL, async
    driver as configured), dropped afterwards even if connections are left open."""
    server = os.environ.get("TANDEM_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("TANDEM_TEST_POSTGRES_URL is not set")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_url(server)

    async def run(statement: str) -> None:
        engine = make_engine(admin.render_as_string(hide_password=False))
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text(statement))
        await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

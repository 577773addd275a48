"""Engine and session factory. Services own transactions; repositories never commit."""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

# Connections a services process keeps open to PostgreSQL. With SQLAlchemy's default of 5,
# 20 conversations at once (each turn a few sessions, plus the actions' API calls) opened and
# closed a new connection for most checkouts, the TLS probe and prepared statements with it
# (bench/results/turn_profile.md, cut 8). Beside 2 Rasa processes, well under PostgreSQL's
# default 100 connections.
POOL_SIZE = 20
POOL_OVERFLOW = 10
# A connection that sat unused this long is pinged before use (a PostgreSQL restart may have
# cut it) and replaced if it does not answer; one in steady use is not. SQLAlchemy's
# pool_pre_ping pinged at every checkout, three round trips each with asyncpg (BEGIN, ";",
# ROLLBACK), four or more times per turn (bench/results/turn_profile.md, cut 8).
IDLE_PING_SECONDS = 5.0


def make_engine(url: str) -> AsyncEngine:
    if not url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        ping_when_idle(engine, IDLE_PING_SECONDS)
        return engine
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Keep the directory's hot pages in memory: the default 2 MB page cache makes a
        # search over a large directory re-read its indexes from the OS on every query.
        cursor.execute("PRAGMA cache_size=-65536")  # KiB: 64 MB per connection
        cursor.execute("PRAGMA mmap_size=268435456")  # 256 MB
        cursor.close()

    return engine


def ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping each pooled connection unused for ``idle_seconds`` as it is checked out; one that
    fails is discarded and the pool connects anew (SQLAlchemy's custom pessimistic handling)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _unused_since(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["unused_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.get("unused_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # just connected, or in steady use
        try:
            dbapi_connection.ping()
        except Exception as error:  # noqa: BLE001 - whatever broke it, take a new one
            raise DisconnectionError(f"pooled connection lost: {type(error).__name__}") from error


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)

"""Check-in dispatch at scale: N due check-ins (one per woman) sent through the real
dispatcher and OutboundSender to a counting stand-in for Twilio (services/gateway/
counting_twilio.py: no HTTP), on SQLite and on PostgreSQL (two dispatchers at once, as two
services processes would). Prints messages/s, duplicates (the same text to the same phone
more than once) and missing messages, beside a baseline on the same database: a bare loop
that inserts the same number of outbound message rows, one transaction each (the least a
durable, logged send costs).

    PYTHONPATH=. .venv/bin/python bench/checkin_dispatch.py [--count 100000]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--skip-postgres]

Target: at least 500 messages/s on each backend, 0 duplicates, 0 missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import insert
from sqlalchemy.engine import make_url

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

TARGET_PER_SECOND = 500
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def bench_settings(url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        tandem_env="test",
        database_url=url,
        tandem_quiet_hours="00:00-00:00",  # the benchmark measures sending, not waiting
        tandem_public_url="https://tandem.example.org",
        tandem_phone_hash_key="bench-phone-hash-key-0123456789",
        tandem_phone_encryption_keys=Fernet.generate_key().decode(),
    )


async def load(url: str, settings: Settings, count: int, now: datetime) -> None:
    """N women with encrypted phones and one due check-in each (not timed)."""
    vault = PhoneVault(settings.tandem_phone_hash_key, settings.tandem_phone_encryption_keys)
    engine = make_engine(url)
    chunk = 5000
    async with engine.begin() as connection:
        for start in range(0, count, chunk):
            women = []
            for n in range(start, min(start + chunk, count)):
                phone = f"+1{4130000000 + n}"
                women.append(
                    {
                        "id": f"c_bench{n:019d}",
                        "phone_hash": vault.lookup_hash(phone),
                        "phone_encrypted": vault.encrypt(phone),
                        "status": "active",
                        "created_at": now,
                        "language": "es" if n % 4 == 0 else "en",
                    }
                )
            await connection.execute(insert(Client), women)
            await connection.execute(
                insert(CheckIn),
                [
                    {
                        "client_id": w["id"],
                        "kind": "support",
                        "due_at": now,
                        "state": "pending",
                        "payload": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for w in women
                ],
            )
    await engine.dispose()


async def baseline(url: str, count: int) -> float:
    """Seconds to insert `count` outbound message rows, one transaction each."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    for n in range(count):
        async with sessions() as session, session.begin():
            session.add(
                Message(
                    client_id=f"c_bench{n:019d}",
                    direction="outbound",
                    body="baseline",
                    state="queued",
                )
            )
    elapsed = time.perf_counter() - started
    async with engine.begin() as connection:  # leave the table as the dispatch finds it
        await connection.execute(sa.delete(Message))
    await engine.dispose()
    return elapsed


async def dispatch(url: str, settings: Settings, now: datetime, processes: int) -> tuple:
    twilio = CountingTwilio()
    vault = PhoneVault(settings.tandem_phone_hash_key, settings.tandem_phone_encryption_keys)
    engines = [make_engine(url) for _ in range(processes)]

    def dispatcher(engine: sa.ext.asyncio.AsyncEngine) -> CheckInDispatcher:
        sessions = make_sessionmaker(engine)
        clock: Callable[[], datetime] = lambda: now  # noqa: E731
        sender = OutboundSender(settings, sessions, vault, clock, lambda: twilio)  # type: ignore[arg-type, return-value]
        return CheckInDispatcher(settings, sessions, sender, clock)

    started = time.perf_counter()
    counts = await asyncio.gather(*(dispatcher(e).dispatch_due() for e in engines))
    elapsed = time.perf_counter() - started
    for engine in engines:
        await engine.dispose()
    return elapsed, counts, twilio


async def run(label: str, url: str, count: int, processes: int, baseline_count: int) -> bool:
    settings = bench_settings(url)
    encrypted.use_keys(settings.tandem_phone_encryption_keys)
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    now = utcnow()
    await load(url, settings, count, now)
    base_seconds = await baseline(url, baseline_count)
    base_rate = baseline_count / base_seconds
    seconds, counts, twilio = await dispatch(url, settings, now, processes)
    rate = twilio.total / seconds
    missing = count - len(twilio.sent)
    ok = rate >= TARGET_PER_SECOND and twilio.duplicates == 0 and missing == 0
    print(
        f"{label}: {count} due check-ins, {processes} dispatcher(s) {counts}: "
        f"{twilio.total} messages in {seconds:.1f} s = {rate:.0f} messages/s; "
        f"duplicates {twilio.duplicates}, missing {missing}"
    )
    print(
        f"{label} baseline: bare insert loop, {baseline_count} rows in {base_seconds:.1f} s = "
        f"{base_rate:.0f} rows/s; dispatch/baseline = {rate / base_rate:.2f}"
        f"  [{'OK' if ok else 'BELOW TARGET'}: >= {TARGET_PER_SECOND}/s, 0 duplicates]"
    )
    return ok


def postgres_database(server: str) -> tuple[str, Callable[[], None]]:
    """A scratch database on the server; returns its URL and how to drop it."""
    admin = make_url(server)
    name = f"tandem_bench_checkins_{uuid.uuid4().hex[:8]}"

    async def run_sql(statement: str) -> None:
        engine = make_engine(admin.render_as_string(hide_password=False))
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text(statement))
        await engine.dispose()

    asyncio.run(run_sql(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    return url, lambda: asyncio.run(run_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--baseline-count", type=int, default=10_000)
    parser.add_argument(
        "--postgres", default=os.environ.get("TANDEM_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    baseline_count = min(args.baseline_count, args.count)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'checkins.db'}"
        ok &= asyncio.run(run("sqlite", url, args.count, 1, baseline_count))
    if not args.skip_postgres:
        url, drop = postgres_database(args.postgres)
        try:
            ok &= asyncio.run(run("postgresql", url, args.count, 2, baseline_count))
        finally:
            drop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""`tandem backup DIR` and `tandem restore DIR`: both PostgreSQL databases (Tandem's,
DATABASE_URL, and Rasa's tracker store, RASA_TRACKER_STORE_URL) with pg_dump and pg_restore.

Each database is one custom-format dump in DIR (a consistent snapshot, taken while Tandem
runs). A restore goes into empty databases only (made if missing), in one transaction, so a
failed one leaves nothing half-loaded, and never over a database that holds anything. The
encrypted columns and tracker events stay encrypted in the dumps: they read back only with the
same TANDEM_PHONE_ENCRYPTION_KEYS, which the backup does not hold. Credentials reach pg_dump and
pg_restore through libpq's environment (PGPASSWORD...), never their command line (`ps`).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from services.db.create_database import ensure_database
from services.db.engine import make_engine
from services.privacy.tracker_events import async_url


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Database:
    name: str  # what it is, in messages
    file: str  # its dump in DIR
    url: str


def databases(database_url: str, tracker_url: str) -> tuple[Database, Database]:
    return (
        Database("Tandem's database (DATABASE_URL)", "tandem.dump", database_url),
        Database("Rasa's tracker store (RASA_TRACKER_STORE_URL)", "rasa_tracker.dump", tracker_url),
    )


def libpq_environment(url: str) -> dict[str, str]:
    """Where pg_dump and pg_restore connect, as libpq's variables."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        raise BackupError(f"only PostgreSQL databases are backed up here, not {parsed.drivername}")
    env = {"PGDATABASE": parsed.database}
    for variable, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        # asyncpg spells it ssl=, psycopg2 sslmode=; libpq takes the same words.
        ("PGSSLMODE", parsed.query.get("sslmode") or parsed.query.get("ssl")),
    ):
        if value is not None:
            env[variable] = str(value)
    return env


def _run(argv: list[str], url: str) -> None:
    libpq = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    done = subprocess.run(
        argv, env={**libpq, **libpq_environment(url)}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()[-2000:]}")


def backup(directory: Path, database_url: str, tracker_url: str) -> list[Path]:
    """Dump both databases into `directory` (made private if new); the files written."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for database in databases(database_url, tracker_url):
        target = directory / database.file
        partial = target.with_suffix(".partial")
        _run(["pg_dump", "--format=custom", f"--file={partial}"], database.url)
        partial.replace(target)  # a dump is complete or absent
        written.append(target)
    return written


async def _tables(url: str) -> int:
    engine = make_engine(async_url(url).render_as_string(hide_password=False))
    try:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'S') "
                        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                        "AND n.nspname NOT LIKE 'pg_toast%'"
                    )
                )
                or 0
            )
    finally:
        await engine.dispose()


async def restore(directory: Path, database_url: str, tracker_url: str) -> list[str]:
    """Load both dumps from `directory` into empty databases (made if missing); what was
    restored. Refuses, before loading anything, when a dump is missing or a database is not
    empty."""
    chosen = databases(database_url, tracker_url)
    for database in chosen:
        libpq_environment(database.url)  # PostgreSQL, or refuse now
        if not (directory / database.file).is_file():
            raise BackupError(f"{directory / database.file} is missing")
    for database in chosen:
        await ensure_database(database.url)
        if await _tables(database.url):
            raise BackupError(
                f"{database.name} {make_url(database.url).database!r} is not empty; "
                "restore into a new, empty database"
            )
    for database in chosen:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={make_url(database.url).database}",
                str(directory / database.file),
            ],
            database.url,
        )
    return [database.name for database in chosen]

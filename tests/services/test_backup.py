"""`tandem backup` and `tandem restore` on the real PostgreSQL server: both databases round-trip
into new ones, a restore refuses a database that holds anything (before loading either) and a
missing dump, and no password is ever on pg_dump's command line. The whole profile restored
and carrying on: tests/e2e/test_backup_restore.py."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.db import backup as backups
from services.db.backup import BackupError, backup, libpq_environment, restore
from services.db.engine import make_engine
from tests.postgres import scratch_database


async def execute(url: str, *statements: str) -> list[tuple]:
    engine = make_engine(url)
    rows: list[tuple] = []
    async with engine.begin() as connection:
        for statement in statements:
            result = await connection.execute(sa.text(statement))
            rows = list(result) if result.returns_rows else rows
    await engine.dispose()
    return rows


def urls(tandem_db: sa.URL, rasa_db: sa.URL) -> tuple[str, str, str]:
    """Tandem's URL, the tracker store's as Rasa names it, and the latter for asyncpg."""
    render = lambda url: url.render_as_string(hide_password=False)  # noqa: E731
    return render(tandem_db), render(rasa_db.set(drivername="postgresql")), render(rasa_db)


def test_both_databases_round_trip_into_new_ones(tmp_path: Path) -> None:
    with scratch_database("bt_tandem") as tandem_db, scratch_database("bt_rasa") as rasa_db:
        database_url, tracker_url, rasa_async = urls(tandem_db, rasa_db)
        for url, table in ((database_url, "clients"), (rasa_async, "events")):
            asyncio.run(
                execute(
                    url, f"CREATE TABLE {table} (id text)", f"INSERT INTO {table} VALUES ('c_1')"
                )
            )
        written = backup(tmp_path / "b", database_url, tracker_url)
        assert [p.name for p in written] == ["tandem.dump", "rasa_tracker.dump"]
        assert (tmp_path / "b").stat().st_mode & 0o077 == 0

        with pytest.raises(BackupError, match="is not empty"):
            asyncio.run(restore(tmp_path / "b", database_url, tracker_url))

    with scratch_database("rt_tandem") as tandem_db, scratch_database("rt_rasa") as rasa_db:
        database_url, tracker_url, rasa_async = urls(tandem_db, rasa_db)
        asyncio.run(restore(tmp_path / "b", database_url, tracker_url))
        assert asyncio.run(execute(database_url, "SELECT id FROM clients")) == [("c_1",)]
        assert asyncio.run(execute(rasa_async, "SELECT id FROM events")) == [("c_1",)]


def test_a_restore_needs_both_dumps_and_postgresql(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="rasa_tracker.dump is missing"):
        (tmp_path / "tandem.dump").touch()
        asyncio.run(restore(tmp_path, "postgresql+asyncpg://u@h/a", "postgresql://u@h/b"))
    with pytest.raises(BackupError, match="only PostgreSQL"):
        asyncio.run(restore(tmp_path, "sqlite+aiosqlite:///x.db", "sqlite:///y.db"))


def test_credentials_go_through_the_environment_not_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = "postgresql+asyncpg://tandem:s3cret@db.internal:6543/tandem?ssl=require"
    assert libpq_environment(url) == {
        "PGDATABASE": "tandem",
        "PGHOST": "db.internal",
        "PGPORT": "6543",
        "PGUSER": "tandem",
        "PGPASSWORD": "s3cret",
        "PGSSLMODE": "require",
    }
    calls = []

    def run(argv, env, **_):  # type: ignore[no-untyped-def]
        calls.append((argv, env))
        Path(argv[-1].removeprefix("--file=")).touch()
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(backups.subprocess, "run", run)
    backup(tmp_path, "postgresql+asyncpg://t:s3cret@h/a", "postgresql://t:s3cret@h/b")
    assert len(calls) == 2
    for argv, env in calls:
        assert not any("s3cret" in arg for arg in argv) and env["PGPASSWORD"] == "s3cret"

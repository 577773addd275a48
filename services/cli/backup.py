"""`tandem backup DIR` and `tandem restore DIR`: both PostgreSQL databases, dumped and loaded
(services/db/backup.py)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path

from services.cli.command import Command
from services.settings import load_settings

# What a command does with DIR and the two database URLs: the names of what it did.
Action = Callable[[Path, str, str], list[object]]


def _on_both_databases(verb: str, done: str, action: Action, then: str = "") -> Command:
    """A command that runs `action` on DIR and this configuration's two databases, printing
    each thing done, or the reason it failed (exit status 1)."""

    def command(args: argparse.Namespace) -> int:
        from services.db.backup import BackupError

        settings = load_settings()
        try:
            results = action(
                Path(args.directory),
                settings.effective_database_url,
                settings.effective_tracker_store_url,
            )
        except BackupError as error:
            print(f"{verb} failed: {error}")
            return 1
        for result in results:
            print(f"{done} {result}")
        if then:
            print(then)
        return 0

    return command


def _backup(directory: Path, database_url: str, tracker_url: str) -> list[object]:
    from services.db.backup import backup

    return list(backup(directory, database_url, tracker_url))


def _restore(directory: Path, database_url: str, tracker_url: str) -> list[object]:
    from services.db.backup import restore

    return list(asyncio.run(restore(directory, database_url, tracker_url)))


cmd_backup = _on_both_databases("backup", "wrote", _backup)
cmd_restore = _on_both_databases(
    "restore",
    "restored",
    _restore,
    then="now run `tandem db upgrade` (a backup from older code gets the current schema)",
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    backup = sub.add_parser(
        "backup",
        help="dump Tandem's database and Rasa's tracker store (PostgreSQL) into DIR",
    )
    backup.add_argument("directory", metavar="DIR")
    restore = sub.add_parser(
        "restore",
        help="load a `tandem backup` DIR into the empty databases of DATABASE_URL and "
        "RASA_TRACKER_STORE_URL (made if missing)",
    )
    restore.add_argument("directory", metavar="DIR")


COMMANDS: dict[str, Command] = {"backup": cmd_backup, "restore": cmd_restore}

"""`tandem backup DIR` and `tandem restore DIR`: both PostgreSQL databases, dumped and loaded
(services/db/backup.py)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.cli.command import Command
from services.settings import load_settings


def cmd_backup(args: argparse.Namespace) -> int:
    from services.db.backup import BackupError, backup

    settings = load_settings()
    try:
        files = backup(
            Path(args.directory),
            settings.effective_database_url,
            settings.effective_tracker_store_url,
        )
    except BackupError as error:
        print(f"backup failed: {error}")
        return 1
    for path in files:
        print(f"wrote {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from services.db.backup import BackupError, restore

    settings = load_settings()
    try:
        restored = asyncio.run(
            restore(
                Path(args.directory),
                settings.effective_database_url,
                settings.effective_tracker_store_url,
            )
        )
    except BackupError as error:
        print(f"restore failed: {error}")
        return 1
    for name in restored:
        print(f"restored {name}")
    print("now run `tandem db upgrade` (a backup from older code gets the current schema)")
    return 0


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

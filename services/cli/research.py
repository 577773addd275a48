"""`tandem export-research PATH`: the de-identified research export (services/engagement/
research.py says what is in it and what is not), written owner-only and audited as one row."""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
from pathlib import Path

from services.cli.command import Command
from services.settings import Settings, load_settings

MIN_KEY_CHARS = 16


def research_key(settings: Settings) -> str | None:
    """The key research ids are made with, or None when there is no usable one. Development
    gets one from `tandem init-local`; production must set TANDEM_RESEARCH_KEY itself."""
    key = settings.tandem_research_key
    return key if len(key) >= MIN_KEY_CHARS else None


async def _export(settings: Settings, key: str, path: Path) -> int:
    from services.dashboard import audit
    from services.db.base import utcnow
    from services.db.engine import make_engine, make_sessionmaker
    from services.engagement.research import COLUMNS, research_rows

    engine = make_engine(settings.effective_database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            rows = await research_rows(session, key, utcnow())
            _write(path, COLUMNS, rows)
            # In the same transaction: an export that failed to write is not audited.
            audit.record(session, "research_exported", None, audit.CLI, "rows", len(rows))
        return len(rows)
    finally:
        await engine.dispose()


def _write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    """Owner-only (0600) from the first byte, also over an older export; never through a
    symlink someone left at PATH."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def cmd_export_research(args: argparse.Namespace) -> int:
    settings = load_settings()
    key = research_key(settings)
    if key is None:
        where = (
            "set TANDEM_RESEARCH_KEY (16+ characters; keep it apart from the export)"
            if settings.tandem_env == "production"
            else "run `tandem init-local` or set TANDEM_RESEARCH_KEY (16+ characters)"
        )
        print(f"export-research needs a research key: {where}.")
        return 2
    count = asyncio.run(_export(settings, key, Path(args.path)))
    print(f"{args.path}: {count} client-weeks, de-identified (owner-only file)")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export-research",
        help="write the de-identified research export: one CSV row per client-week",
    )
    export.add_argument("path", help="the CSV file to write (created owner-only)")


COMMANDS: dict[str, Command] = {"export-research": cmd_export_research}

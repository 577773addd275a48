"""`tandem directory`: import, export or generate the service directory."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from services.cli.command import Command
from services.settings import load_settings


class _RollBack(Exception):
    """Leave the import transaction without committing."""


class _TextProgress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.active = sys.stderr.isatty()

    def __call__(self, table: str, done: int, total: int) -> None:
        if not self.active or total < 2000:
            return
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        bar = "#" * filled + "." * (width - filled)
        print(f"\r{table:<20} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)


async def _import_directory(path: Path, partial: bool) -> int:
    from services.db.engine import make_engine, make_sessionmaker
    from services.directory.hsds_import import import_hsds
    from services.directory.taxonomy import load_taxonomy

    engine = make_engine(load_settings().effective_database_url)
    kept = True
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            report = await import_hsds(session, path, load_taxonomy(), progress=_TextProgress())
            if report.problems and not partial:
                raise _RollBack
    except _RollBack:
        kept = False
    finally:
        await engine.dispose()
    if not kept:
        print("rolled back; this is what the run found:")
    for line in report.lines():
        print(line)
    if not kept:
        rows = len(report.invalid_rows)
        print(
            f"nothing imported: {rows} invalid row{'s' * (rows != 1)}. Fix them, or run again "
            "with --partial to keep the valid rows."
        )
        return 1
    return 0


async def _export_directory(path: Path) -> int:
    from services.db.engine import make_engine, make_sessionmaker
    from services.directory.hsds_export import export_hsds_package
    from services.directory.taxonomy import load_taxonomy

    engine = make_engine(load_settings().effective_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            written = await export_hsds_package(session, path, load_taxonomy())
    finally:
        await engine.dispose()
    print(f"wrote {path}: " + ", ".join(f"{t} {n}" for t, n in written.items()))
    return 0


async def _generate_directory(count: int, seed: int) -> int:
    from services.db.engine import make_engine
    from services.directory.generate import generate_directory

    engine = make_engine(load_settings().effective_database_url)
    try:
        made = await generate_directory(engine, count, seed=seed)
    finally:
        await engine.dispose()
    print(f"generated {made} DEMO DATA services (seed {seed})")
    return 0


def cmd_directory(args: argparse.Namespace) -> int:
    path = Path(args.path) if getattr(args, "path", None) else None
    if args.directory_command == "import":
        assert path is not None
        if not (path.is_dir() or path.suffix.lower() == ".json" and path.is_file()):
            print(f"{path} is neither a folder holding an HSDS data package nor a JSON file")
            return 2
        return asyncio.run(_import_directory(path, args.partial))
    if args.directory_command == "export":
        assert path is not None
        return asyncio.run(_export_directory(path))
    if args.count < 1:
        print("--count must be at least 1")
        return 2
    return asyncio.run(_generate_directory(args.count, args.seed))


def add_parsers(sub: argparse._SubParsersAction) -> None:
    directory = sub.add_parser("directory", help="service directory")
    directory_sub = directory.add_subparsers(dest="directory_command", required=True)
    importer = directory_sub.add_parser(
        "import", help="import an HSDS 3.0 data package folder or service_full JSON file"
    )
    importer.add_argument("path")
    importer.add_argument(
        "--partial",
        action="store_true",
        help="keep the valid rows when some are invalid (default: import nothing)",
    )
    exporter = directory_sub.add_parser("export", help="write an HSDS 3.0 data package folder")
    exporter.add_argument("path")
    generate = directory_sub.add_parser(
        "generate", help="add N fictional DEMO DATA services over Massachusetts zips"
    )
    generate.add_argument("--count", type=int, required=True)
    generate.add_argument("--seed", type=int, default=1)


COMMANDS: dict[str, Command] = {
    "directory": cmd_directory,
}

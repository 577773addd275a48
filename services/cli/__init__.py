"""The `tandem` command (services runtime)."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from services.cli import backup, directory, local, privacy, research, run, sms, staff
from services.cli.command import Command
from services.file_modes import private_umask

# In the order `tandem --help` lists them.
GROUPS = (local, backup, directory, privacy, research, staff, run, sms)
COMMANDS: dict[str, Command] = {
    name: cmd for group in GROUPS for name, cmd in group.COMMANDS.items()
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Databases, logs and models it (or the processes it starts) creates: 0600, folders 0700.
    private_umask()
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ValidationError as error:
        if error.title != "Settings":
            raise
        complain_about_settings(error)
        return 2


def complain_about_settings(error: ValidationError) -> None:
    """Each setting that is missing or wrong, by its variable's name, without a traceback."""
    for problem in error.errors():
        where = "_".join(str(part) for part in problem["loc"]).upper()
        message = problem["msg"].removeprefix("Value error, ")
        print(f"Tandem cannot start: {where + ': ' if where else ''}{message}", flush=True)

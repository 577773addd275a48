"""The `tandem` command (services runtime)."""

from __future__ import annotations

import argparse

from services.cli import directory, local, privacy, research, run, sms, staff
from services.cli.command import Command
from services.file_modes import private_umask

# In the order `tandem --help` lists them.
GROUPS = (local, directory, privacy, research, staff, run, sms)
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
    return COMMANDS[args.command](args)

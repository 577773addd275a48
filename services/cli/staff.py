"""`tandem staff add`: staff accounts for the dashboard (README: Staff dashboard)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from services.cli.command import Command
from services.settings import load_settings

ROLE_CHOICES = ("case_manager", "program_staff", "admin")


def ask_password() -> str | None:
    """Asked twice, hidden; None (with the reason printed) when they differ or are too short."""
    from services.dashboard.accounts import MIN_PASSWORD_LENGTH

    first = getpass.getpass(f"Password for the new account (at least {MIN_PASSWORD_LENGTH}): ")
    if len(first) < MIN_PASSWORD_LENGTH:
        print(f"too short: use at least {MIN_PASSWORD_LENGTH} characters", file=sys.stderr)
        return None
    if getpass.getpass("The same password again: ") != first:
        print("the two passwords differ", file=sys.stderr)
        return None
    return first


async def _add(email: str, role: str, password: str | None) -> tuple[object, str | None]:
    from services.dashboard.accounts import StaffAccounts
    from services.dashboard.audit import CLI
    from services.db.engine import make_engine, make_sessionmaker

    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        accounts = StaffAccounts(make_sessionmaker(engine), settings)
        return await accounts.add(email, role, password, CLI)
    finally:
        await engine.dispose()


def cmd_staff(args: argparse.Namespace) -> int:
    from services.dashboard.accounts import AccountError, normalize_email

    try:
        email = normalize_email(args.email)
    except AccountError as error:
        print(error, file=sys.stderr)
        return 2
    password = None
    if not args.link:
        password = ask_password()
        if password is None:
            return 1
    try:
        user, token = asyncio.run(_add(email, args.role, password))
    except AccountError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"added {email} ({args.role})")
    if token is not None:
        url = load_settings().public_url
        print("one-time link to set the password (works once, for 24 hours):")
        print(f"{url}/dashboard/set-password/{token}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff accounts for the dashboard")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser(
        "add", help="add a staff account (asks for a password, or prints a set-password link)"
    )
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument(
        "--link",
        action="store_true",
        help="print a one-time link (24 hours) to set the password instead of asking for it",
    )


COMMANDS: dict[str, Command] = {
    "staff": cmd_staff,
}

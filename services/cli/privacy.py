"""`tandem purge` and `tandem keys`: retention, deleted clients' tracker events, key rotation."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys

from services.cli.command import Command
from services.settings import load_settings


async def _purge(days: int) -> tuple[int, int, int]:
    """Messages and Rasa's tracker events older than the retention period, and the tracker
    events of every woman who had her data deleted (in case deleting them then failed)."""
    from datetime import timedelta

    from services.db.base import utcnow
    from services.db.engine import make_engine, make_sessionmaker
    from services.gateway.message_log import purge_older_than
    from services.privacy.forget import forgotten_ids
    from services.privacy.tracker_events import TrackerEvents

    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    tracker = TrackerEvents(settings.effective_tracker_store_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            messages = await purge_older_than(session, days)
            forgotten = await forgotten_ids(session)
        old_events = await tracker.delete_older_than(utcnow() - timedelta(days=days))
        their_events = await tracker.delete_conversations(forgotten)
        return messages, old_events, their_events
    finally:
        await engine.dispose()
        await tracker.dispose()


def cmd_purge(args: argparse.Namespace) -> int:
    days = args.days or load_settings().tandem_message_retention_days
    messages, old_events, their_events = asyncio.run(_purge(days))
    print(f"removed {messages} messages older than {days} days")
    print(f"removed {old_events} tracker events older than {days} days")
    print(f"removed {their_events} tracker events of clients who had their data deleted")
    return 0


async def _rotate_keys() -> dict[str, int]:
    from services.clients.phones import PhoneVault
    from services.db.engine import make_engine
    from services.privacy.keys import CLIENTS, MESSAGES, NOTES, SIGNALS, Rotation, rehash_phones
    from services.privacy.tracker_events import TrackerEvents

    settings = load_settings()
    rotation = Rotation.from_keys(settings.tandem_phone_encryption_keys)
    vault = PhoneVault(settings.tandem_phone_hash_key, settings.tandem_phone_encryption_keys)
    engine = make_engine(settings.effective_database_url)
    tracker = TrackerEvents(settings.effective_tracker_store_url)
    try:
        # Each step is safe to interrupt and run again.
        return {
            "phones re-encrypted": await rotation.column(
                engine, CLIENTS, CLIENTS.c.phone_encrypted
            ),
            "phones re-hashed": await rehash_phones(engine, vault),
            "messages re-encrypted": await rotation.column(engine, MESSAGES, MESSAGES.c.body),
            "staff notes re-encrypted": await rotation.column(engine, NOTES, NOTES.c.body),
            "provider words re-encrypted": await rotation.column(engine, SIGNALS, SIGNALS.c.words),
            "tracker events re-encrypted": await tracker.rotate(rotation),
        }
    finally:
        await engine.dispose()
        await tracker.dispose()


def cmd_keys(args: argparse.Namespace) -> int:
    from cryptography.fernet import Fernet

    if args.keys_command == "new":
        # The new keys go first; the old ones stay after them until `keys rotate` has run.
        key = Fernet.generate_key().decode()
        print(f"new encryption key (first in TANDEM_PHONE_ENCRYPTION_KEYS): {key}")
        print(f"new hash key (first in TANDEM_PHONE_HASH_KEY): {secrets.token_urlsafe(32)}")
        return 0
    from services.privacy.keys import UnknownKey

    try:
        done = asyncio.run(_rotate_keys())
    except UnknownKey as error:
        print(f"{error}: put the old key back after the new one and run again", file=sys.stderr)
        return 1
    for name, count in done.items():
        print(f"{name}: {count}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    purge = sub.add_parser(
        "purge",
        help="delete messages and tracker events older than the retention period, and the "
        "tracker events of clients who had their data deleted",
    )
    purge.add_argument(
        "--days", type=int, help="retention in days (default TANDEM_MESSAGE_RETENTION_DAYS)"
    )
    keys = sub.add_parser("keys", help="key rotation (README: Privacy)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser("new", help="print a new encryption key and a new phone hash key")
    keys_sub.add_parser(
        "rotate",
        help="re-encrypt phones, messages, staff notes and words, and tracker events under "
        "the first key and re-hash phones under the first hash key (safe while Tandem runs)",
    )


COMMANDS: dict[str, Command] = {
    "purge": cmd_purge,
    "keys": cmd_keys,
}

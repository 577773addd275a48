"""The `tandem` command (services runtime)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path

import aiohttp

from services.file_modes import make_private, private_umask
from services.settings import REPO_ROOT, Settings, load_settings


def secure_var(settings: Settings) -> None:
    """var/ and the SQLite databases private to their owner (see file_modes.py)."""
    make_private(
        settings.tandem_var_dir,
        settings.effective_database_url,
        settings.effective_tracker_store_url,
    )


def cmd_init_local(_: argparse.Namespace) -> int:
    from services.local_secrets import ensure_local_secrets

    settings = load_settings()
    if settings.tandem_env == "production":
        print("init-local is for development; production takes secrets from the environment.")
        return 2
    path, added = ensure_local_secrets(settings.tandem_var_dir)
    secure_var(settings)
    print(f"{path}: {'generated ' + ', '.join(added) if added else 'up to date'}")
    return 0


def alembic_config(database_url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url or load_settings().effective_database_url
    return config


def cmd_db(args: argparse.Namespace) -> int:
    from alembic import command

    settings = load_settings()
    if settings.effective_database_url.startswith("sqlite"):
        settings.tandem_var_dir.mkdir(parents=True, exist_ok=True)
    config = alembic_config(settings.effective_database_url)
    if args.action == "upgrade":
        command.upgrade(config, "head")
        secure_var(settings)
        print("database is at the latest schema")
    else:
        command.check(config)
    return 0


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
    from services.privacy.keys import CLIENTS, MESSAGES, Rotation, rehash_phones
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


def cmd_serve(_: argparse.Namespace) -> int:
    from aiohttp import web

    from services.app import create_app
    from services.logs import AccessLogger, configure_logging

    settings = load_settings()
    configure_logging()
    secure_var(settings)
    web.run_app(
        create_app(settings),
        host=settings.tandem_host,
        port=settings.tandem_port,
        print=None,
        access_log_class=AccessLogger,
    )
    return 0


def cmd_run(_: argparse.Namespace) -> int:
    from services.stack import run_stack

    settings = load_settings()
    secure_var(settings)
    return run_stack(settings)


def cmd_model_path(_: argparse.Namespace) -> int:
    from services.model_cache import model_path

    print(model_path().relative_to(REPO_ROOT))
    return 0


async def _send_sms(sender: str, text: str, url: str | None) -> list[str]:
    from services.gateway.signature import INBOUND_PATH as path
    from services.gateway.signature import signed_inbound
    from services.gateway.twiml import twiml_to_messages

    settings = load_settings()
    params, signature = signed_inbound(
        auth_token=settings.twilio_auth_token,
        public_url=settings.public_url,
        account_sid=settings.twilio_account_sid,
        to=settings.twilio_from_number,
        sender=sender,
        text=text,
    )
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            (url or settings.local_url).rstrip("/") + path,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=aiohttp.ClientTimeout(total=20),
        ) as response,
    ):
        body = await response.text()
        if response.status != 200:
            raise SystemExit(f"Tandem answered {response.status}: {body[:200]}")
        return twiml_to_messages(body)


def cmd_sms(args: argparse.Namespace) -> int:
    try:
        replies = asyncio.run(_send_sms(args.sender, " ".join(args.text), args.url))
    except aiohttp.ClientError as error:
        print(f"Could not reach Tandem ({error}). Is `make run` running?", file=sys.stderr)
        return 1
    for reply in replies:
        print(reply)
        print()
    if not replies:
        print("(no reply)")
    return 0


def cmd_fake_twilio(args: argparse.Namespace) -> int:
    from aiohttp import web

    from services.clients.phones import InvalidPhone, normalize_phone
    from services.gateway.fake_twilio import create_fake_twilio_app

    settings = load_settings()
    if not settings.twilio_auth_token:
        print("TWILIO_AUTH_TOKEN is not set: run `tandem init-local` first.", file=sys.stderr)
        return 2
    try:
        opted_out = {normalize_phone(number) for number in args.opted_out}
    except InvalidPhone:
        print("--opted-out takes phone numbers such as +14135550100", file=sys.stderr)
        return 2
    app = create_fake_twilio_app(
        settings.twilio_auth_token, opted_out, callback_base_url=args.callback_base_url
    )
    print(f"fake Twilio listening; use TWILIO_API_BASE_URL=http://{args.host}:{args.port}")
    print(f"what it received: http://{args.host}:{args.port}/fake/messages", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-local", help="generate local development secrets into var/local.env")
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "check"])
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
        help="re-encrypt phones, messages and tracker events under the first key and re-hash "
        "phones under the first hash key (safe while Tandem runs)",
    )
    sub.add_parser("serve", help="run the services (gateway, API) only")
    sub.add_parser("run", help="run services, Rasa and the action server (what `make run` does)")
    sub.add_parser("model-path", help="print the model file matching the current training data")
    sms = sub.add_parser("sms", help="send a signed test SMS to a running stack, print replies")
    sms.add_argument("--from", dest="sender", required=True, help="her phone, e.g. +14135550100")
    sms.add_argument("--url", help="where Tandem listens (default TANDEM_HOST:TANDEM_PORT)")
    sms.add_argument("text", nargs="+")
    fake = sub.add_parser("fake-twilio", help="run a local fake of Twilio's Messages API")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8089)
    fake.add_argument(
        "--opted-out",
        action="append",
        default=[],
        metavar="PHONE",
        help="answer sends to this number with error 21610 (repeatable)",
    )
    fake.add_argument(
        "--callback-base-url",
        help="deliver status callbacks here instead of the StatusCallback host (still signed "
        "for the StatusCallback URL, as behind a proxy)",
    )
    return parser


COMMANDS = {
    "init-local": cmd_init_local,
    "db": cmd_db,
    "directory": cmd_directory,
    "purge": cmd_purge,
    "keys": cmd_keys,
    "serve": cmd_serve,
    "run": cmd_run,
    "model-path": cmd_model_path,
    "sms": cmd_sms,
    "fake-twilio": cmd_fake_twilio,
}


def main(argv: list[str] | None = None) -> int:
    # Databases, logs and models it (or the processes it starts) creates: 0600, folders 0700.
    private_umask()
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

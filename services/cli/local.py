"""`tandem init-local` and `tandem db`: what a machine needs before the services run (local
secrets, a private var/, the database schema)."""

from __future__ import annotations

import argparse

from services.cli.command import Command
from services.file_modes import make_private
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
    if args.action == "create":
        return _create_databases(settings)
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


def _create_databases(settings: Settings) -> int:
    import asyncio

    from sqlalchemy.engine import make_url

    from services.db.create_database import ensure_database

    for url in (settings.effective_database_url, settings.effective_tracker_store_url):
        made = asyncio.run(ensure_database(url))
        if made:
            print(f"created database {make_url(url).database}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("init-local", help="generate local development secrets into var/local.env")
    db = sub.add_parser("db", help="database schema")
    db.add_argument(
        "action",
        choices=["upgrade", "check", "create"],
        help="create: the PostgreSQL databases of DATABASE_URL and RASA_TRACKER_STORE_URL, "
        "if missing",
    )


COMMANDS: dict[str, Command] = {
    "init-local": cmd_init_local,
    "db": cmd_db,
}

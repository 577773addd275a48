"""`tandem serve`, `tandem run` and `tandem model-path`: the services, or the whole stack."""

from __future__ import annotations

import argparse
import os

from pydantic import ValidationError

from services.cli.command import Command
from services.cli.local import secure_var
from services.settings import REPO_ROOT, Settings, load_settings

PROFILES = ("development", "production")


def settings_or_complaint() -> Settings | None:
    """The settings, or None after saying on stderr what is missing or wrong (by variable)."""
    try:
        return load_settings()
    except ValidationError as error:
        for problem in error.errors():
            where = "_".join(str(part) for part in problem["loc"]).upper()
            message = problem["msg"].removeprefix("Value error, ")
            print(f"Tandem cannot start: {where + ': ' if where else ''}{message}", flush=True)
        return None


def cmd_serve(_: argparse.Namespace) -> int:
    from aiohttp import web

    from services.app import create_app
    from services.logs import AccessLogger, configure_logging

    settings = settings_or_complaint()
    if settings is None:
        return 2
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


def cmd_run(args: argparse.Namespace) -> int:
    from services.stack import run_stack

    if args.profile:
        # Every process of the stack reads it (the services child included).
        os.environ["TANDEM_ENV"] = args.profile
    settings = settings_or_complaint()
    if settings is None:
        return 2
    secure_var(settings)
    return run_stack(settings)


def cmd_model_path(_: argparse.Namespace) -> int:
    from services.model_cache import model_path

    print(model_path().relative_to(REPO_ROOT))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("serve", help="run the services (gateway, API) only")
    run = sub.add_parser(
        "run", help="run services, Rasa and the action server (what `make run` does)"
    )
    run.add_argument(
        "--profile",
        choices=PROFILES,
        help="development (SQLite, local secrets) or production (PostgreSQL, Redis, secrets "
        "from the environment only); default: $TANDEM_ENV",
    )
    sub.add_parser("model-path", help="print the model file matching the current training data")


COMMANDS: dict[str, Command] = {
    "serve": cmd_serve,
    "run": cmd_run,
    "model-path": cmd_model_path,
}

"""`tandem serve`, `tandem run` and `tandem model-path`: the services, or the whole stack."""

from __future__ import annotations

import argparse
import os

from services.cli.command import Command
from services.cli.local import secure_var
from services.settings import REPO_ROOT, load_settings
from services.stack import PROCESS_KINDS

PROFILES = ("development", "production")


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


def cmd_run(args: argparse.Namespace) -> int:
    from services.stack import exec_process, run_stack

    if args.profile:
        # Every process of the stack reads it (the services child included).
        os.environ["TANDEM_ENV"] = args.profile
    settings = load_settings()
    secure_var(settings)
    if args.process:
        return exec_process(settings, args.process, args.index)
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
    run.add_argument(
        "--process",
        choices=PROCESS_KINDS,
        help="run only this one process of the stack, in the foreground, started as `tandem "
        "run` starts it (for systemd: deploy/systemd/); without it, the whole stack",
    )
    run.add_argument(
        "--index",
        type=int,
        default=1,
        help="with --process: which one, from 1 to TANDEM_RASA_WORKERS (Rasa, on RASA_URL's "
        "port + index - 1) or TANDEM_ACTION_WORKERS (default: 1)",
    )
    sub.add_parser("model-path", help="print the model file matching the current training data")


COMMANDS: dict[str, Command] = {
    "serve": cmd_serve,
    "run": cmd_run,
    "model-path": cmd_model_path,
}

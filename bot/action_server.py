"""The action server: rasa-sdk's app, answering only the Rasa server.

`rasa run actions` takes calls from anyone who can reach the port, and the actions call /api
with the service token: a local process (or a browser page posting text/plain) could raise
alerts, rename her or withdraw her consents knowing only her client id. So here every route
except /health needs `Authorization: Bearer $ACTION_SERVER_TOKEN` (Rasa sends it, see
bot/endpoints.yml), and a request carrying an Origin header (a browser) is refused outright.
The secret comes from the environment, never the command line (`ps` shows argv to everyone).

Several action-server processes (TANDEM_ACTION_WORKERS) share one port: Rasa's endpoints name
one action server URL, and with SO_REUSEPORT (ACTION_SERVER_REUSE_PORT=1, set by
services/stack.py) the kernel spreads connections over the processes listening on it, drops a
dead one from the group at once, and admits only processes of the same user. Each is a process
of its own that `tandem run` restarts, with no proxy in the path; Sanic's own workers would
share a socket too, but Sanic 21.12 never restarts one that dies.

Run as `python -m bot.action_server --actions actions -p 5055` (services/stack.py does).
"""

from __future__ import annotations

import hmac
import logging
import os
import socket
import sys
from collections.abc import Sequence

from rasa_sdk import endpoint, utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

TOKEN_ENV = "ACTION_SERVER_TOKEN"
MIN_TOKEN_CHARS = 16
OPEN_PATHS = frozenset({"/health"})  # process checks: `tandem run`, /readyz
REUSE_PORT_ENV = "ACTION_SERVER_REUSE_PORT"


def _refuse(status: int, error: str, message: str) -> HTTPResponse:
    return response.json({"error": error, "message": message}, status=status)


def create_app(actions: str) -> Sanic:
    """rasa-sdk's app without CORS: sanic-cors answers OPTIONS from the front of the middleware
    chain, before any check, and a server no browser may call has no use for it."""
    configure_cors = endpoint.configure_cors
    endpoint.configure_cors = lambda app, cors_origins=None: None
    try:
        return endpoint.create_app(actions, cors_origins=None)
    finally:
        endpoint.configure_cors = configure_cors


def guard(app: Sanic, token: str) -> Sanic:
    """Put the secret and the no-browser rule in front of every route of `app`."""
    expected = f"Bearer {token}".encode()

    async def check(request: Request) -> HTTPResponse | None:
        if "origin" in request.headers:
            return _refuse(403, "forbidden", "Browsers may not call the action server.")
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            return _refuse(401, "unauthorized", "A valid action server token is required.")
        return None

    app.register_middleware(check, "request")
    app.request_middleware.remove(check)
    app.request_middleware.appendleft(check)  # before any other middleware

    # rasa-sdk's handler answers a failure with the request body (her words) and logs the
    # request; this one logs the traceback only and keeps each HTTP error's own status.
    async def on_error(request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, SanicException):
            status = exception.status_code
            return _refuse(status, "http_error", str(exception) if status < 500 else "Failed.")
        logger.error("action server failed on %s", request.path, exc_info=exception)
        return _refuse(500, "internal", "The action failed.")

    app.error_handler.add(Exception, on_error)
    return app


def token_from_environment() -> str:
    token = os.environ.get(TOKEN_ENV, "")
    if len(token) < MIN_TOKEN_CHARS:
        raise SystemExit(
            f"{TOKEN_ENV} must be set ({MIN_TOKEN_CHARS}+ characters): run `tandem init-local` "
            "(development) or set it in the environment of both Rasa and the action server"
        )
    return token


def shared_socket(host: str, port: int) -> socket.socket:
    """A listening socket other action-server processes of this user may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(100)
    return sock


def keep_api_connections(app: Sanic) -> None:
    """The actions' calls to Tandem's API share one session while the server runs: a new
    connection per call cost both processes (bench/results/turn_profile.md, cut 8)."""
    from actions.api import client

    app.register_listener(lambda *_: client.keep_connections(), "before_server_start")
    app.register_listener(lambda *_: client.close_connections(), "after_server_stop")


def warm_up_knowledge() -> None:
    """Check data/knowledge/answers.yml and embed its questions before taking calls: a wrong
    entry stops the start-up with a message naming the entry and field."""
    from actions.knowledge_base import KnowledgeError, warm_up

    try:
        warm_up()
    except KnowledgeError as err:
        raise SystemExit(f"knowledge base: {err}") from err


def main(argv: Sequence[str] | None = None) -> None:
    args = endpoint.create_argument_parser().parse_args(argv)
    if args.cors:
        raise SystemExit("--cors is not supported: the action server refuses browsers")
    token = token_from_environment()
    # As rasa_sdk.__main__ does for `rasa run actions`.
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = guard(create_app(args.actions or "actions"), token)
    keep_api_connections(app)
    warm_up_knowledge()
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl = endpoint.create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    logger.info("action server on %s:%s", host, args.port)
    if os.environ.get(REUSE_PORT_ENV) == "1":
        app.run(sock=shared_socket(host, args.port), ssl=ssl)
    else:
        app.run(host, args.port, ssl=ssl, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main(sys.argv[1:])

"""Middleware: JSON errors for the API, service-token auth for /api/*."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from services.app_keys import SETTINGS
from services.logs import log_event

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A domain error the API turns into a JSON response."""

    def __init__(self, status: int, error: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


@web.middleware
async def errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except ApiError as e:
        return web.json_response(
            {"error": e.error, "message": e.message, **e.extra}, status=e.status
        )
    except web.HTTPException:
        raise
    except Exception as error:
        # With its traceback (logs.py formats it without exception messages, which can hold
        # request data), but never the request body or query.
        log_event(
            logger,
            "unhandled_error",
            logging.ERROR,
            exc_info=error,
            method=request.method,
            path=request.path,
        )
        if request.path.startswith("/api/"):
            return web.json_response(
                {"error": "internal", "message": "Something went wrong."}, status=500
            )
        # Answered here so aiohttp does not log it a second time.
        return web.Response(status=500, text="Something went wrong.")


@web.middleware
async def service_token(request: web.Request, handler):  # type: ignore[no-untyped-def]
    protected = request.path.startswith("/api/") or request.path == "/metrics"
    if protected and request.path != "/api/openapi.json":
        expected = request.app[SETTINGS].tandem_service_token
        # Exactly `Bearer <token>`: a bare token is refused, like any other scheme.
        given = request.headers.get("Authorization", "")
        if not expected or not hmac.compare_digest(
            given.encode("utf-8", "replace"), f"Bearer {expected}".encode()
        ):
            return web.json_response(
                {"error": "unauthorized", "message": "A valid service token is required."},
                status=401,
            )
    return await handler(request)


async def json_object(request: web.Request) -> dict[str, object]:
    """The request body as a JSON object, or a 400 `invalid_json`."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "Send a JSON object.")
    return body


# The largest value a database integer (and an SQL OFFSET) holds everywhere Tandem runs.
MAX_QUERY_INT = 2**31 - 1


def query_int(request: web.Request, name: str, default: int, low: int, high: int | None) -> int:
    """An integer query parameter within low..high, or a 400 `invalid_parameter` naming it."""
    high = MAX_QUERY_INT if high is None else high
    raw = request.query.get(name, str(default)).strip()
    digits = raw.removeprefix("-")
    # ASCII digits only (int() also takes other scripts' digits), and few enough of them.
    value = int(raw) if digits.isascii() and digits.isdigit() and len(digits) <= 10 else low - 1
    if not low <= value <= high:
        allowed = f"{low}..{high}"
        raise ApiError(400, "invalid_parameter", f"{name} must be {allowed}.", field=name)
    return value

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
    except Exception:
        log_event(logger, "unhandled_error", logging.ERROR, path=request.path, exc_info=True)
        if request.path.startswith("/api/"):
            return web.json_response(
                {"error": "internal", "message": "Something went wrong."}, status=500
            )
        raise


@web.middleware
async def service_token(request: web.Request, handler):  # type: ignore[no-untyped-def]
    protected = request.path.startswith("/api/") or request.path == "/metrics"
    if protected and request.path != "/api/openapi.json":
        expected = request.app[SETTINGS].tandem_service_token
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.json_response(
                {"error": "unauthorized", "message": "A valid service token is required."},
                status=401,
            )
    return await handler(request)


async def json_object(request: web.Request) -> dict[str, object]:
    """The request body as a JSON object, or a 400 `invalid_json`."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "Send a JSON object.")
    return body


def query_int(request: web.Request, name: str, default: int, low: int, high: int | None) -> int:
    """An integer query parameter within low..high, or a 400 `invalid_parameter` naming it."""
    try:
        value = int(request.query.get(name, str(default)))
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        allowed = f"{low}..{high}" if high is not None else f"{low} or more"
        raise ApiError(400, "invalid_parameter", f"{name} must be {allowed}.", field=name)
    return value

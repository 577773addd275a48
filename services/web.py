"""The API's HTTP edge, shared by every /api/* module: domain errors mapped to HTTP once (the
DOMAIN_ERRORS registry the error middleware reads), service-token auth, and the small request
helpers (a JSON body, an integer query parameter, a path id, a short text field).

Services raise domain errors and know nothing of HTTP; an API module lets them through and the
middleware answers each with one JSON shape: {"error": code, "message": text, "field": the
request field it is about (when there is one), and what else the error tells}.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from services.app_keys import SETTINGS
from services.checkins.cadence import CADENCES, InvalidCadence
from services.clients.lookup import UnknownClient
from services.clients.profile import InvalidField
from services.consent import errors as consent
from services.directory.details import UnknownLocation, UnknownService
from services.directory.taxonomy import UnknownNeed
from services.engagement.signals import InvalidSignal
from services.engagement.taxonomy import InvalidValue
from services.logs import log_event
from services.referrals import errors as referral
from services.referrals import lifecycle

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error in the request itself, answered as JSON (domain errors: DOMAIN_ERRORS)."""

    def __init__(self, status: int, error: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


@dataclass(frozen=True)
class HttpError:
    """How the API answers one kind of domain error."""

    status: int
    code: str
    field: str | None = None
    message: str = "{error}"  # formatted with the error itself
    details: Callable[[Any], dict[str, object]] | None = None  # more fields from the error

    def body(self, error: Exception) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.message.format(error=error)}
        if self.field is not None:
            body["field"] = self.field
        if self.details is not None:
            body.update(self.details(error))
        return body


def _transition(error: lifecycle.TransitionError) -> dict[str, object]:
    details: dict[str, object] = {"field": error.field}
    if isinstance(error, lifecycle.InvalidTransition):
        details["from"] = error.current
        details["allowed"] = sorted(lifecycle.TRANSITIONS[error.current])
    return details


# Domain error -> its HTTP answer; an error's closest registered class decides.
DOMAIN_ERRORS: dict[type[Exception], HttpError] = {
    UnknownClient: HttpError(404, "unknown_client", "client_id", "No client has this id."),
    InvalidField: HttpError(400, "invalid_field", details=lambda e: {"field": e.field}),
    InvalidSignal: HttpError(400, "invalid_signal", details=lambda e: {"field": e.field}),
    InvalidValue: HttpError(422, "invalid_signal_value", "value"),
    InvalidCadence: HttpError(
        422, "invalid_cadence", "cadence", details=lambda _: {"allowed": list(CADENCES)}
    ),
    UnknownService: HttpError(404, "unknown_service", "service_id", "No open service has this id."),
    UnknownLocation: HttpError(
        404, "unknown_location", "location_id", "This service is not offered at that location."
    ),
    UnknownNeed: HttpError(400, "unknown_need", "need", "Unknown need: {error}."),
    referral.NeedNotOffered: HttpError(422, "need_not_offered", "need"),
    referral.UnknownReferral: HttpError(404, "unknown_referral"),
    referral.NoActiveConsent: HttpError(409, "no_active_consent"),
    referral.ConcurrentChange: HttpError(409, "concurrent_change"),
    consent.UnknownConsent: HttpError(404, "unknown_consent"),
    consent.ConsentNotPending: HttpError(
        409, "consent_not_pending", details=lambda e: {"consent_status": e.status}
    ),
    consent.UnknownMessage: HttpError(422, "unknown_message", "message_sid"),
    consent.MessageAlreadyUsed: HttpError(409, "message_already_used", "message_sid"),
    consent.NotAnAnswer: HttpError(422, "not_an_answer", "message_sid"),
    consent.NotAYes: HttpError(422, "not_a_yes", "message_sid"),
    lifecycle.InvalidTransition: HttpError(409, "invalid_transition", details=_transition),
    lifecycle.ReasonRequired: HttpError(422, "reason_required", details=_transition),
    lifecycle.OutcomeRequired: HttpError(422, "outcome_required", details=_transition),
    lifecycle.TransitionError: HttpError(400, "invalid_field", details=_transition),
}


def http_error(error: Exception) -> HttpError | None:
    """The registered answer for this error, if it is a domain error."""
    return next((DOMAIN_ERRORS[k] for k in type(error).__mro__ if k in DOMAIN_ERRORS), None)


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
        known = http_error(error)
        if known is not None:
            return web.json_response(known.body(error), status=known.status)
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
MAX_ID_CHARS = 64


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


def path_id(request: web.Request, name: str) -> int:
    """A numeric id in the path (`referral_id`), or a 404 `unknown_referral`."""
    raw = request.match_info[name]
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise ApiError(404, f"unknown_{name.removesuffix('_id')}", f"No {name} {raw!r}.")
    return int(raw)


def text_field(body: dict[str, object], name: str, *, required: bool = True) -> str | None:
    """A short text field of a JSON body (an id), stripped; or a 400 `invalid_field`."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_ID_CHARS:
        raise ApiError(400, "invalid_field", f"{name} is required (short text).", field=name)
    return value.strip()

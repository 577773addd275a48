"""Structured JSON logs that never carry a phone number or message text.

Callers log events with ids only (client id, MessageSid). As a second line of defence the
formatter masks anything shaped like a phone number in every record, including library records,
before it is encoded (JSON escapes such as `\\n` would otherwise glue letters to the digits);
tracebacks keep their frames but not exception messages, which can quote request data (a
UnicodeDecodeError holds the sender's bytes, a database error its parameters); and the access
log records paths without their query strings.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

# Between digits: spaces, dots, dashes, slashes, parentheses, `+` (a form-encoded space), and
# the URL escapes of those (%20 %28 %29 %2D %2E %2F).
_GAP = r"(?:[\s.\-/()+]|%(?:20|2[89dDeEfF]))"
# A number starts after a non-alphanumeric (so ids like SM0123… keep their digits) or right
# after a URL escape (`%2B1413…`, `%201413…`).
_START = r"(?:(?<![0-9A-Za-z_])|(?<=%[0-9A-Fa-f]{2}))"
# With a `+` (or %2B): any country, 8 to 15 digits (E.164).
_INTERNATIONAL = rf"(?:\+|%2[bB]){_GAP}{{0,3}}\d(?:{_GAP}{{0,3}}\d){{7,14}}"
# Without: North American, 3-3-4 digits, optionally after a 1.
_NANP = rf"(?:1{_GAP}{{0,3}})?(?:\(|%28)?\d{{3}}{_GAP}{{0,3}}\d{{3}}{_GAP}{{0,3}}\d{{4}}"
PHONE_PATTERN = re.compile(rf"{_START}(?:{_INTERNATIONAL}|{_NANP})(?![0-9A-Za-z_])")
REDACTED = "[phone]"


def redact(value: str) -> str:
    return PHONE_PATTERN.sub(REDACTED, value)


def _redacted(value: object) -> object:
    """`value` with every string in it redacted; other types as JSON would write them."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redacted(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def format_exception_without_messages(exc_info: ExcInfo) -> str:
    """Each exception of the chain as its frames and its type, never its message."""
    chain: list[BaseException] = []
    exc: BaseException | None = exc_info[1]
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    parts: list[str] = []
    for exc in reversed(chain):
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        parts.append(f"{type(exc).__module__}.{type(exc).__qualname__} (message not logged)\n")
    return "".join(parts)


class RedactingJsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info and record.exc_info[1] is not None:
            payload["error"] = format_exception_without_messages(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(_redacted(payload))


SET_PASSWORD_PATH = "/dashboard/set-password/"


def _logged_path(path: str) -> str:
    """The path without secrets in it: a set-password link's token is not logged."""
    if path.startswith(SET_PASSWORD_PATH):
        return SET_PASSWORD_PATH + "{token}"
    return path


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log without query strings: the actions' searches carry her words."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        log_event(
            self.logger,
            "http_request",
            method=request.method,
            path=_logged_path(request.path),
            status=response.status,
            bytes=response.body_length,
            ms=round(time * 1000, 1),
        )


# Libraries that log SQL parameters or payloads (message text, encrypted phones) at DEBUG.
CHATTY_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "asyncio")


def quiet_chatty_loggers() -> None:
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: str = "INFO") -> None:
    quiet_chatty_loggers()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingJsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def log_event(
    logger: logging.Logger,
    event: str,
    level: int = logging.INFO,
    exc_info: BaseException | bool | None = None,
    **fields: object,
) -> None:
    """Log `event` with structured fields; pass ids and counts, never phones or text.
    `exc_info` adds the traceback (formatted without exception messages)."""
    logger.log(level, event, exc_info=exc_info, extra={"fields": fields})

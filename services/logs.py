"""Structured JSON logs that never carry a phone number or message text.

Callers log events with ids only (client id, MessageSid). As a second line of defence a filter
masks anything shaped like a phone number in every record, including library records.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

PHONE_PATTERN = re.compile(r"(?<!\w)\+?1?[\s.-]?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)")
REDACTED = "[phone]"


def redact(value: str) -> str:
    return PHONE_PATTERN.sub(REDACTED, value)


class RedactingJsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str))


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
    logger: logging.Logger, event: str, level: int = logging.INFO, **fields: object
) -> None:
    """Log `event` with structured fields; pass ids and counts, never phones or text."""
    logger.log(level, event, extra={"fields": fields})

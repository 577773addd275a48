"""Calls to the services API that must never cost her a reply: engagement signals, staff
alerts, profile updates. Each returns whether it worked and logs only the failure's type."""

import logging
from typing import Any

from rasa_sdk import Tracker

from actions.api.client import ApiError, TandemApi

logger = logging.getLogger(__name__)


def message_sid(tracker: Tracker) -> str | None:
    """The Twilio MessageSid of her latest message (the gateway passes it as metadata)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    sid = metadata.get("message_sid") if isinstance(metadata, dict) else None
    return str(sid) if sid else None


async def log_signal(tracker: Tracker, type_: str, value: str | int | None = None) -> bool:
    """POST /api/signals for her (client_id = sender_id), tied to her latest message."""
    try:
        await TandemApi().post_signal(tracker.sender_id, type_, value, message_sid(tracker))
        return True
    except ApiError as err:
        logger.warning("signal %s not logged: %s", type_, err.code)
    except Exception as exc:  # never let a signal cost her the reply
        logger.exception("signal %s not logged: %s", type_, type(exc).__name__)
    return False


async def raise_alert(tracker: Tracker, kind: str, detail: str | None = None) -> bool:
    """POST /api/alerts: "crisis" or "human_requested". detail is a category, never her text."""
    try:
        await TandemApi().create_alert(tracker.sender_id, kind, detail)
        return True
    except ApiError as err:
        logger.warning("alert %s not created: %s", kind, err.code)
    except Exception as exc:
        logger.exception("alert %s not created: %s", kind, type(exc).__name__)
    return False


async def save_profile(tracker: Tracker, **fields: Any) -> bool:
    """PATCH /api/clients/{id} with the fields she gave."""
    try:
        await TandemApi().update_client(tracker.sender_id, **fields)
        return True
    except ApiError as err:
        logger.warning("profile not saved (%s): %s", ",".join(sorted(fields)), err.code)
    except Exception as exc:
        logger.exception("profile not saved: %s", type(exc).__name__)
    return False

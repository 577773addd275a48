"""Calls to the services API that must never cost her a reply: engagement signals, staff
alerts, profile updates. Each logs only the failure's type, never her words.

A signal is posted in the background: the action answers her at once, and a post that fails
for a reason that may pass (no answer, a timeout, a 5xx or 429) is retried after
RETRY_DELAYS, then given up with a warning. She never hears of it. The API takes a retried
post for the same message as the one already recorded, so a retry never counts twice.
"""

import asyncio
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


# Seconds to wait before each retry of a failed signal post (three tries in all).
RETRY_DELAYS: tuple[float, ...] = (2.0, 15.0)
_sleep = asyncio.sleep  # the wait between tries (tests wait no real time)
# Posts still in flight; a strong reference, or the event loop may drop a running task.
_in_flight: set["asyncio.Task[bool]"] = set()


async def log_signal(tracker: Tracker, type_: str, value: str | int | None = None) -> None:
    """POST /api/signals for her (client_id = sender_id), tied to her latest message, in the
    background: returns at once."""
    post = _post_signal(tracker.sender_id, type_, value, message_sid(tracker))
    task = asyncio.get_running_loop().create_task(post)
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


async def settled() -> None:
    """Wait for every signal post in flight (tests, and a clean shutdown)."""
    while _in_flight:
        await asyncio.gather(*_in_flight, return_exceptions=True)


async def _post_signal(
    client_id: str, type_: str, value: str | int | None, sid: str | None
) -> bool:
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
        if delay:
            await _sleep(delay)
        try:
            await TandemApi().post_signal(client_id, type_, value, sid)
            return True
        except ApiError as err:
            if not _may_pass(err):
                logger.warning("signal %s not logged: %s", type_, err.code)
                return False
            logger.info("signal %s not logged (try %d): %s", type_, attempt + 1, err.code)
        except Exception as exc:  # a bug must not loop or reach her either
            logger.exception("signal %s not logged: %s", type_, type(exc).__name__)
            return False
    logger.warning("signal %s not logged after %d tries", type_, len(RETRY_DELAYS) + 1)
    return False


def _may_pass(err: ApiError) -> bool:
    """A failure worth retrying: no answer at all, or the API busy or broken for now."""
    return err.status is None or err.status == 429 or err.status >= 500


async def raise_alert(tracker: Tracker, kind: str, detail: str | None = None) -> bool:
    """POST /api/alerts: "crisis" or "human_requested". detail is a category, never her text."""
    try:
        await TandemApi().create_alert(tracker.sender_id, kind, detail, message_sid(tracker))
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

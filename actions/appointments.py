"""An appointment she mentions ahead ("my ob appt is tmrw at 10", "tengo cita el viernes"):
its date is logged as the signal appointment_upcoming ("YYYY-MM-DD"), from which the
services schedule a follow-up the day after. She is told of that follow-up only when her
check-ins allow one (not paused, not "only when I text"), as GET check-ins says.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.signals import log_signal
from actions.sms import to_gsm7

logger = logging.getLogger(__name__)

# The program's time zone (the services' TANDEM_TIMEZONE): "tomorrow" is hers, not UTC's.
DEFAULT_TIMEZONE = "America/New_York"
QUIET_CADENCES = frozenset({"paused", "when_i_text"})  # services/checkins/cadence.py

_WEEKDAYS = {
    "mon": 0, "monday": 0, "lunes": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "martes": 1,
    "wed": 2, "weds": 2, "wednesday": 2, "miercoles": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "jueves": 3,
    "fri": 4, "friday": 4, "viernes": 4,
    "sat": 5, "saturday": 5, "sabado": 5,
    "sun": 6, "sunday": 6, "domingo": 6,
}  # fmt: skip
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b")
_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")
_DAY_OF_MONTH = re.compile(
    r"\b(?:the|on|for|el|dia|el dia)\s+(\d{1,2})(?:st|nd|rd|th)?\b|\b(\d{1,2})(?:st|nd|rd|th)\b"
)
_TOMORROW = re.compile(r"\b(?:tomorrow|tmrw|tmr|tmrrw|tomorow|2moro|2morrow|manana)\b")
_MORNING = re.compile(r"\b(?:por|en|de|esta) la manana\b")
_TODAY = re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening)|hoy|esta noche)\b")


def today_here() -> date:
    zone = ZoneInfo(os.environ.get("TANDEM_TIMEZONE") or DEFAULT_TIMEZONE)
    return datetime.now(zone).date()


def _day_of_month(today: date, day: int) -> date | None:
    """The next date with that day of the month (this month, else the next one)."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            found = date(year, month, day)
        except ValueError:
            found = None
        if found and found >= today:
            return found
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def parse_appointment_date(text: str | None, today: date) -> date | None:
    """The day of the appointment she names: today/tonight, tomorrow (tmrw, manana), a
    weekday (the next one after today), "the 12th"/"el 12", or "12/15"; None if none."""
    t = to_gsm7((text or "").lower())
    slash = _SLASH.search(t)
    if slash:
        month, day = int(slash.group(1)), int(slash.group(2))
        try:
            found = date(today.year, month, day)
        except ValueError:
            return None
        return found if found >= today else found.replace(year=today.year + 1)
    weekday = _WEEKDAY.search(t)
    if weekday:
        ahead = (_WEEKDAYS[weekday.group(1)] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    day = _DAY_OF_MONTH.search(t)
    if day and 1 <= int(day.group(1) or day.group(2)) <= 31:
        return _day_of_month(today, int(day.group(1) or day.group(2)))
    if _TOMORROW.search(_MORNING.sub(" ", t)):
        return today + timedelta(days=1)
    if _TODAY.search(t):
        return today
    return None


async def follow_up_allowed(client_id: str) -> bool:
    """Whether her check-ins allow a follow-up (she chose none, or a regular cadence);
    False when the API cannot say, so nothing is promised that may not come."""
    try:
        schedule = await TandemApi().check_ins(client_id)
    except ApiError as err:
        logger.warning("check-ins not read: %s", err.code)
        return False
    return schedule.get("cadence") not in QUIET_CADENCES


class ActionAppointmentUpcoming(Action):
    def name(self) -> str:
        return "action_appointment_upcoming"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        when = parse_appointment_date(tracker.latest_message.get("text"), today_here())
        dispatcher.utter_message(response="utter_appointment_upcoming")
        if when is None:
            return []
        await log_signal(tracker, "appointment_upcoming", when.isoformat())
        if await follow_up_allowed(tracker.sender_id):
            dispatcher.utter_message(response="utter_appointment_follow_up_promise")
        return []

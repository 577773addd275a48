"""What she decides about the texts Tandem starts: how often it checks in, the hours it must
not text her, and discreet texts (someone else sees her phone).

Her words are read here and nowhere else (parse_cadence, parse_quiet_hours, parse_discreet);
the choice is saved through the services API (PUT checkin-cadence, PUT contact-preferences),
and she is told what will happen only once it is saved: a failed save says so.

When her words do not say it, Tandem asks once (slot preference_question) and the next reply
that reads as an answer, a bare number included, is taken (bot/pause_policy.py sends it
here); anything else is answered as itself and the question is let go. Asking in the middle
of the services form lets the form go quietly (one question at a time); a confirmation
leaves the form to bot/pause_policy.py, as any other interruption.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.sms import to_gsm7

logger = logging.getLogger(__name__)

CADENCE, HOURS = "cadence", "hours"
QUESTION_SLOT = "preference_question"
CADENCE_ACTION = "action_set_checkin_cadence"
HOURS_ACTION = "action_set_contact_hours"
ACTION_OF = {CADENCE: CADENCE_ACTION, HOURS: HOURS_ACTION}

# services/checkins/cadence.py's cadences, numbered as utter_ask_checkin_cadence lists them.
NUMBERED = {1: "every_few_days", 2: "weekly", 3: "every_2_weeks", 4: "when_i_text"}
RESUME = "resume"  # "start the check-ins again": at what cadence is hers to say

# Most specific first: an explicit "pause"; then a cadence she names, even with "again"
# ("the weekly check ins again"); then "start again" (which cadence is hers to say); then the
# softer pauses ("no check ins for a bit"). "every 2 weeks" before "week".
_CADENCE_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bpaus", "paused"),
    (
        r"only (?:when|if) i (?:text|write|reach)|when i text|i'?ll (?:text|reach out|write)|"
        r"\bill (?:text|reach out|write)|wait for me|text first|don'?t check in|"
        r"cuando yo te (?:escriba|escribo)|yo te escribo",
        "when_i_text",
    ),
    (
        r"(?:2|two) ?(?:weeks|wks|semanas)|every other week|couple (?:of )?weeks|biweekly|"
        r"dos semanas|quincen|cada quince",
        "every_2_weeks",
    ),
    (r"\bweek(?!end)|\bwk|\bsemana", "weekly"),
    (
        r"few (?:days|dayz)|couple (?:of )?days|(?:3|three|2|two) (?:days|dias)|"
        r"every other day|par de dias|tres dias|dos dias",
        "every_few_days",
    ),
    (r"\bunpause|\bresume|\bstart|\bagain\b|go back to|volver a|de nuevo|otra vez", RESUME),
    (
        r"hold off|take a break|break from|for (?:now|a while|a bit)|"
        r"stop (?:the )?check[- ]?ins\b|no check ?ins|por ahora",
        "paused",
    ),
)


def parse_cadence(text: str | None, numbered: bool = False) -> str | None:
    """One of the cadences, RESUME, or None when her words do not say which. ``numbered``:
    she is answering the numbered question, so a bare 1-4 picks from it."""
    t = _plain(text)
    if numbered:
        bare = re.fullmatch(r"#?\s*([1-4])\s*[.!]*", t)
        if bare:
            return NUMBERED[int(bare.group(1))]
    for pattern, cadence in _CADENCE_WORDS:
        if re.search(pattern, t):
            return cadence
    return None


# -- hours -------------------------------------------------------------------------------
ANY_TIME = "any"  # parse_quiet_hours' answer for "any time is fine": no window of her own

_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|a|p)?"


def _hour(number: str, minutes: str | None, half: str | None, pm_below: int) -> str | None:
    """ "5" -> "17:00" when 5 < ``pm_below`` (an hour that reads as afternoon or evening
    where she said it), else "05:00"; an am or pm she wrote wins."""
    h, m = int(number), int(minutes or 0)
    if h > 23 or m > 59:
        return None
    half = (half or "").replace(".", "")
    if half.startswith("p") and h < 12:
        h += 12
    elif half.startswith("a") and h == 12:
        h = 0
    elif not half and 1 <= h < min(pm_below, 12):
        h += 12
    return f"{h:02d}:{m:02d}"


# Where a bare hour is pm: "not after 8" is 8pm (every hour up to 11); "no texts before
# 10" 10am, "before 3" 3pm; "after 9 is ok" 9am but "only after 3" 3pm.
PM_QUIET_FROM, PM_QUIET_UNTIL, PM_ALLOWED_FROM = 12, 5, 7


def _time_after(t: str, start: int, pm_below: int) -> str | None:
    """The first time in t[start:]: an hour ("5", "5:30pm"), noon or midnight."""
    found = re.search(r"\b" + _TIME + r"\b|\bnoon\b|mediodia|midnight|medianoche", t[start:])
    if not found:
        return None
    word = found.group(0)
    if word in ("noon", "mediodia"):
        return "12:00"
    if word in ("midnight", "medianoche"):
        return "00:00"
    return _hour(found.group(1), found.group(2), found.group(3), pm_below)


def _range(t: str) -> tuple[str, str] | None:
    """ "9 to 5", "9-5", "de 9 a 5", "between 10 and 2": (start, end), the end after the
    start (a bare "5" after "9" is 5pm)."""
    m = re.search(r"\b" + _TIME + r"\s*(?:to|-|til|till|until|and|a|hasta|y)\s*" + _TIME + r"\b", t)
    if not m:
        return None
    start = _hour(m.group(1), m.group(2), m.group(3), pm_below=0)
    end = _hour(m.group(4), m.group(5), m.group(6), pm_below=0)
    if start is None or end is None:
        return None
    if not m.group(6) and end <= start and int(m.group(4)) < 12:
        end = f"{int(m.group(4)) + 12:02d}:{m.group(5) or '00'}"
    return start, end


_ALLOWED = re.compile(
    r"\bonly\b|\bsolo\b|\bnomas\b|\bbest\b|\bmejor\b|\bworks\b|"
    r"\b(?:is|are|its|it's) (?:ok|okay|fine|good|better)\b"
)


def parse_quiet_hours(text: str | None) -> str | None:
    """Her words as the daily window she does NOT want texts, "HH:MM-HH:MM" (may cross
    midnight), ANY_TIME for "any time is fine", or None when they do not say when.

    "not after 5" -> "17:00-08:00"; "only mornings" -> "12:00-08:00"; "not while at work 9
    to 5" -> "09:00-17:00"; "only between 10 and 2" -> "14:00-10:00"; "no texts before 10" ->
    "00:00-10:00"; "no despues de las 5" -> "17:00-08:00"; "solo por la manana" ->
    "12:00-08:00". What she allows ("only", "best", "is ok") is turned around."""
    t = _plain(text)
    if re.search(r"any ?time|whenever|cualquier hora|all day|todo el dia", t):
        return ANY_TIME
    allowed = bool(_ALLOWED.search(t))
    span = _range(t)
    if span:
        start, end = span
        return f"{end}-{start}" if allowed else f"{start}-{end}"
    after = re.search(r"\b(?:after|aftr|past|despues de(?: las?)?|pasadas? las?)\s", t)
    before = re.search(r"\b(?:before|b4|antes de(?: las?)?|until|hasta(?: las?)?)\s", t)
    if after and not before:
        pm_below = PM_ALLOWED_FROM if allowed else PM_QUIET_FROM
        time = _time_after(t, after.end(), pm_below)
        if time:
            # "after 9 is ok": texts from 9 on, quiet until then; "not after 5": from 5 on.
            return f"00:00-{time}" if allowed else f"{time}-08:00"
    if before and not after:
        time = _time_after(t, before.end(), PM_QUIET_UNTIL)
        if time:
            return f"{time}-08:00" if allowed else f"00:00-{time}"
    if re.search(r"morning|manana", t) and allowed:
        return "12:00-08:00"
    if re.search(r"afternoon|\btarde", t) and allowed:
        return "17:00-12:00"
    if re.search(r"evening|at night|late|noche", t):
        if allowed or re.search(r"not during the day|no (?:en el|durante el) dia", t):
            return "08:00-17:00"
        return "20:00-08:00"
    return None


def spoken_time(hhmm: str, language: str = "en") -> str:
    """ "17:00" -> "5pm", "08:30" -> "8:30am", "12:00" -> "noon", "00:00" -> "midnight"
    (Spanish: "5pm", "mediodia", "medianoche")."""
    h, m = (int(x) for x in hhmm.split(":"))
    if (h, m) == (12, 0):
        return "mediodia" if language == "es" else "noon"
    if (h, m) == (0, 0):
        return "medianoche" if language == "es" else "midnight"
    suffix = "am" if h < 12 else "pm"
    twelve = h % 12 or 12
    return f"{twelve}{f':{m:02d}' if m else ''}{suffix}"


# -- discreet ----------------------------------------------------------------------------
_NOT_DISCREET = re.compile(
    r"normal (?:texts?|messages?)|regular (?:texts?|messages?)|text (?:me )?normal|"
    r"(?:no need|dont need|don'?t need) to be discreet|turn off discreet|discreet off|"
    r"stop being discreet|(?:escribir|escribirme|mensajes) normal"
)


def parse_discreet(text: str | None) -> bool:
    """False when she says plain texts are fine again, else True (she asked for discreet)."""
    return not _NOT_DISCREET.search(_plain(text))


# -- the question asked last --------------------------------------------------------------
def question_pending(events: Iterable[dict[str, Any]]) -> str | None:
    """CADENCE or HOURS when Tandem asked that question in the turn just before her latest
    message (events newest first, as dicts), else None."""
    users = 0
    for event in events:
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users == 2:
                return None
        elif kind == "slot" and event.get("name") == QUESTION_SLOT and users == 1:
            value = event.get("value")
            return value if value in (CADENCE, HOURS) else None
    return None


def reads_as_answer(question: str, text: str | None) -> bool:
    """Whether her reply to the question answers it (bot/pause_policy.py asks)."""
    if question == CADENCE:
        return parse_cadence(text, numbered=True) not in (None, RESUME)
    return parse_quiet_hours(text) is not None


# -- actions -----------------------------------------------------------------------------
def _plain(text: str | None) -> str:
    t = to_gsm7((text or "").lower())  # curly quotes straightened, accents dropped
    return re.sub(r"\s+", " ", t).strip()


def _her_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def _pending(tracker: Tracker) -> str | None:
    return question_pending(reversed(tracker.events or []))


def _ask(
    tracker: Tracker, question: str, response: str, dispatcher: CollectingDispatcher
) -> list[EventType]:
    """Ask once; an open form lets go first, quietly (one question at a time)."""
    dispatcher.utter_message(response=response)
    events: list[EventType] = [SlotSet(QUESTION_SLOT, question)]
    if tracker.active_loop.get("name"):
        events = [ActiveLoop(None), SlotSet("requested_slot", None), *events]
    return events


async def _saved(call: str, client_id: str, **body: Any) -> bool:
    try:
        api = TandemApi()
        if call == CADENCE:
            await api.set_checkin_cadence(client_id, body["cadence"])
        else:
            await api.set_contact_preferences(client_id, **body)
        return True
    except ApiError as err:
        logger.warning("%s not saved: %s", call, err.code)
    except Exception as exc:  # a bug must not become a false "okay"
        logger.exception("%s not saved: %s", call, type(exc).__name__)
    return False


# Words about how often, not when: "text me less", "tan seguido".
_HOW_OFTEN = re.compile(
    r"\bless\b|more often|how often|so much|too much|too many|seguido|cada cuanto|\bmenos\b"
)


def about(text: str | None, said: str) -> str:
    """CADENCE or HOURS: what her words are about, whatever NLU called them ("stop texting
    me for now" is a pause, "can u text less" how often); ``said``, the intent's, if unsure."""
    if parse_quiet_hours(text) is not None:
        return HOURS
    if parse_cadence(text) is not None or _HOW_OFTEN.search(_plain(text)):
        return CADENCE
    return said


async def set_cadence(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    answering = _pending(tracker) == CADENCE
    cadence = parse_cadence(_her_text(tracker), numbered=answering)
    if cadence in (None, RESUME):
        if answering:  # asked once already: let it go
            dispatcher.utter_message(response="utter_cadence_unclear")
            return [SlotSet(QUESTION_SLOT, None)]
        return _ask(tracker, CADENCE, "utter_ask_checkin_cadence", dispatcher)
    if not await _saved(CADENCE, tracker.sender_id, cadence=cadence):
        dispatcher.utter_message(response="utter_preference_not_saved")
        return [SlotSet(QUESTION_SLOT, None)]
    dispatcher.utter_message(response=f"utter_cadence_{cadence}")
    return [SlotSet(QUESTION_SLOT, None)]


async def set_hours(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    answering = _pending(tracker) == HOURS
    window = parse_quiet_hours(_her_text(tracker))
    if window is None:
        if answering:
            dispatcher.utter_message(response="utter_contact_hours_unclear")
            return [SlotSet(QUESTION_SLOT, None)]
        return _ask(tracker, HOURS, "utter_ask_contact_hours", dispatcher)
    quiet = None if window == ANY_TIME else window
    if not await _saved(HOURS, tracker.sender_id, quiet_hours=quiet):
        dispatcher.utter_message(response="utter_preference_not_saved")
        return [SlotSet(QUESTION_SLOT, None)]
    if quiet is None:
        dispatcher.utter_message(response="utter_contact_hours_any")
    else:
        language = "es" if tracker.get_slot("language") == "es" else "en"
        start, end = quiet.split("-")
        dispatcher.utter_message(
            response="utter_contact_hours_set",
            quiet_start=spoken_time(start, language),
            quiet_end=spoken_time(end, language),
        )
    return [SlotSet(QUESTION_SLOT, None)]


async def set_preference(
    dispatcher: CollectingDispatcher, tracker: Tracker, said: str
) -> list[EventType]:
    """Her words decide which; when unsure, the question Tandem just asked, else the intent."""
    kind = about(_her_text(tracker), _pending(tracker) or said)
    return await (set_cadence if kind == CADENCE else set_hours)(dispatcher, tracker)


class ActionSetCheckinCadence(Action):
    """ "check in once a week", "pause", "only when i text": saved, then told plainly."""

    def name(self) -> str:
        return CADENCE_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await set_preference(dispatcher, tracker, CADENCE)


class ActionSetContactHours(Action):
    """ "not after 5", "only mornings": the hours Tandem must not start a text, saved."""

    def name(self) -> str:
        return HOURS_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await set_preference(dispatcher, tracker, HOURS)


class ActionSetDiscreet(Action):
    """ "my partner reads my phone": texts Tandem starts give nothing away from now on;
    "normal texts are fine again" turns that off."""

    def name(self) -> str:
        return "action_set_discreet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        discreet = parse_discreet(_her_text(tracker))
        if not await _saved("discreet", tracker.sender_id, discreet=discreet):
            dispatcher.utter_message(response="utter_preference_not_saved")
            return []
        dispatcher.utter_message(response="utter_discreet_on" if discreet else "utter_discreet_off")
        return []

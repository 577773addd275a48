"""Check-in replies: her mood (1-5 or words), cravings, a slip, appointments, milestones.

Each logs one engagement signal (never her words) and answers with encouragement, never
shame. Some offer a next step ("Want me to find a recovery coach near you?") through the offer
slot; her "yes" takes it (data/rules/support.yml).
"""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.profile import NUMBER_WORDS
from actions.signals import log_signal
from actions.sms import to_gsm7

# Mood words, most specific first; the first that matches gives the score (1 very hard .. 5
# great).
_MOOD_WORDS: tuple[tuple[str, int], ...] = (
    (r"not (?:too |that |so )?bad", 4),
    (r"not (?:so |that |too |very |really )?(?:good|great|well|ok|okay)", 2),
    (r"(?:really|so|very) (?:bad|rough|hard|down|sad|low)", 1),
    (r"awful|terrible|horrible|worst|hopeless|miserable|falling apart|muy mal|fatal", 1),
    (
        r"(?:really|so|very) good|great|amazing|awesome|excellent|fantastic|happy|strong|blessed|"
        r"hopeful|proud|muy bien|excelente|feliz",
        5,
    ),
    (r"good|well|better|pretty good|bien|positive", 4),
    (r"ok|okay|fine|alright|all right|so so|so-so|meh|same|mas o menos|regular|normal", 3),
    (
        r"bad|rough|hard|sad|down|low|stressed|anxious|tired|exhausted|struggling|depressed|"
        r"overwhelmed|lonely|mal|triste|cansada",
        2,
    ),
)


def parse_mood(text: str | None) -> int | None:
    """Her mood as 1-5: a number she gave ("a 3", "2 out of 5") or her words."""
    t = to_gsm7((text or "").lower())
    number = re.search(r"(?<![\d/])([1-5])(?:\s*(?:/|out of|de)\s*5)?(?![\d/])", t)
    if number:
        return int(number.group(1))
    for pattern, score in _MOOD_WORDS:
        if re.search(r"\b(?:" + pattern + r")\b", t):
            return score
    return None


async def answer_mood(
    dispatcher: CollectingDispatcher, tracker: Tracker, mood: int | None
) -> list[EventType]:
    """Log the mood and answer it; a hard day gets support and an offer of someone to talk to."""
    await log_signal(tracker, "checkin_mood", mood)
    if mood is not None and mood <= 2:
        dispatcher.utter_message(response="utter_checkin_mood_low")
        return offer_need("mental_health")
    if mood is not None and mood >= 4:
        dispatcher.utter_message(response="utter_checkin_mood_good")
    else:
        dispatcher.utter_message(response="utter_checkin_mood_ok")
    return []


def offer_need(code: str) -> list[EventType]:
    """The bot just offered to look for this need; her "yes" starts the search."""
    return [SlotSet("offer", "need"), SlotSet("offered", code)]


def offer_human() -> list[EventType]:
    """The bot just offered to ask a case manager to reach out; her "yes" asks."""
    return [SlotSet("offer", "human"), SlotSet("offered", None)]


class ActionCheckinMood(Action):
    def name(self) -> str:
        return "action_checkin_mood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        mood = parse_mood(tracker.latest_message.get("text"))
        return await answer_mood(dispatcher, tracker, mood)


class ActionCraving(Action):
    def name(self) -> str:
        return "action_craving"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_craving_support")
        await log_signal(tracker, "craving")
        return offer_need("peer_recovery")


class ActionReturnToUse(Action):
    """ "i slipped": no shame, harm reduction (never use alone, naloxone), an offer to get back
    on her medication."""

    def name(self) -> str:
        return "action_return_to_use"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_return_to_use")
        await log_signal(tracker, "return_to_use")
        return offer_need("moud")


class ActionAppointmentAttended(Action):
    def name(self) -> str:
        return "action_appointment_attended"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_appointment_attended")
        await log_signal(tracker, "appointment_attended")
        return []


_SPAN = re.compile(
    r"\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a|un|una)\s*"
    r"(days?|weeks?|wks?|months?|mos?|years?|yrs?|dias?|semanas?|meses|mes|anos?|años?)\b"
)
_UNITS = {
    "d": "day",
    "w": "week",
    "m": "month",
    "y": "year",
    "s": "week",
    "a": "year",
}


def parse_milestone(text: str | None) -> str | None:
    """ "30 days today" -> "30 days"; "one year sober" -> "1 year"; "6 meses" -> "6 months"."""
    t = to_gsm7((text or "").lower())
    m = _SPAN.search(t)
    if not m:
        return None
    n = int(m.group(1)) if m.group(1).isdigit() else NUMBER_WORDS.get(m.group(1), 1)
    unit_word = m.group(2)
    if unit_word.startswith("me"):  # meses / mes
        unit = "month"
    else:
        unit = _UNITS.get(unit_word[0], "day")
    return f"{n} {unit}{'' if n == 1 else 's'}"


# A milestone in her language (singular, plural), as the Spanish SMS texts are written: no
# accented a/i/o/u; ñ is GSM-7. Without a span she said, a cheer instead.
_UNITS_ES = {
    "day": ("dia", "dias"),
    "week": ("semana", "semanas"),
    "month": ("mes", "meses"),
    "year": ("año", "años"),
}
_CHEER = {"en": "Wow", "es": "Que bien"}


def milestone_words(milestone: str | None, language: str = "en") -> str:
    """What utter_milestone's {milestone} says: "30 days" -> "30 days", or "30 dias" in
    Spanish ("1 año", "6 meses"); "Wow" ("Que bien") when she named no span of time."""
    language = "es" if language == "es" else "en"
    if not milestone:
        return _CHEER[language]
    if language == "en":
        return milestone.capitalize()
    number, _, unit = milestone.partition(" ")
    one, many = _UNITS_ES.get(unit.removesuffix("s"), (unit, unit))
    return f"{number} {one if number == '1' else many}"


class ActionMilestone(Action):
    """ "30 days today!": genuine congratulations in her language, and a milestone signal
    (its value always in English, "30 days", for staff and the engagement rules)."""

    def name(self) -> str:
        return "action_milestone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        milestone = parse_milestone(tracker.latest_message.get("text"))
        language = str(tracker.get_slot("language") or "en")
        said: dict[str, Any] = {"milestone": milestone_words(milestone, language)}
        dispatcher.utter_message(response="utter_milestone", **said)
        await log_signal(tracker, "milestone", milestone)
        return []


# --- A check-in Tandem sent (services/checkins: trigger_intent EXTERNAL_check_in) -----------
# The gateway already sent the text; the bot only learns what was asked, so that her reply is
# read in context: after a check-in that asks how she is, a bare "3", "rough" or "ok" is her
# mood; after the discreet stand-in ("Reply 1 if it's a good time to talk"), "1"/"yes" gets
# the real question and "no"/"not now" is left alone.
CHECK_IN_SLOT, KIND_SLOT = "check_in", "check_in_kind"
ASKED, DISCREET, NONE = "asked", "discreet", "none"
NOTE_ACTION, REPLY_ACTION = "action_note_check_in", "action_check_in_reply"
# The check-ins whose question is "how are you doing?" (services/checkins/texts.py).
MOOD_KINDS = frozenset({"regular", "support"})
# Kinds with their own real question in domain.yml (utter_check_in_<kind>).
KINDS = frozenset(
    {
        "regular",
        "support",
        "referral_follow_up",
        "missed_appointment",
        "stage",
        "appointment_follow_up",
    }
)


def _entity(tracker: Tracker, name: str) -> Any:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


class ActionNoteCheckIn(Action):
    """The check-in just sent (EXTERNAL_check_in, entities check_in_kind and discreet): sets
    the slots her reply is read by, and says nothing (she already has the text)."""

    def name(self) -> str:
        return NOTE_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        kind = str(_entity(tracker, KIND_SLOT) or "regular")
        state = DISCREET if _truthy(_entity(tracker, "discreet")) else ASKED
        return [SlotSet(CHECK_IN_SLOT, state), SlotSet(KIND_SLOT, kind)]


async def answer_check_in(
    dispatcher: CollectingDispatcher, tracker: Tracker, yes: bool, mood: int | None = None
) -> list[EventType]:
    """Her short reply to the check-in: after the discreet stand-in, yes gets the real
    question; after a question about how she is, her mood; else a plain okay."""
    state = tracker.get_slot(CHECK_IN_SLOT)
    kind = str(tracker.get_slot(KIND_SLOT) or "regular")
    if state == DISCREET and yes:
        question = kind if kind in KINDS else "regular"
        dispatcher.utter_message(response=f"utter_check_in_{question}")
        return [SlotSet(CHECK_IN_SLOT, ASKED)]
    done = [SlotSet(CHECK_IN_SLOT, NONE)]
    if state == ASKED and yes and kind in MOOD_KINDS:
        return [*await answer_mood(dispatcher, tracker, mood), *done]
    if state == ASKED and kind == "referral_follow_up":
        dispatcher.utter_message(
            response="utter_check_in_reached" if yes else "utter_check_in_not_reached"
        )
        return done
    dispatcher.utter_message(response="utter_check_in_not_now")
    return done


class ActionCheckInReply(Action):
    """ "yes", "ok", "no", "not now" right after a check-in."""

    def name(self) -> str:
        return REPLY_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text")
        return await answer_check_in(dispatcher, tracker, intent != "deny", parse_mood(text))

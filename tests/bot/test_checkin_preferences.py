"""Her check-ins by text (issue 14): how often (PUT checkin-cadence), the hours not to text
(PUT contact-preferences quiet_hours), discreet texts (PUT contact-preferences discreet), an
appointment ahead (signal appointment_upcoming), and her reply to a check-in the scheduler
sent (EXTERNAL_check_in). Each action runs against the fake services API; the tests read
what she sees, rendered from domain.yml."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.events import SlotSet as RasaSlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import appointments
from actions.appointments import ActionAppointmentUpcoming, parse_appointment_date
from actions.bare_number import ActionHandleNumber
from actions.checkin import ActionCheckInReply, ActionNoteCheckIn
from actions.checkin_preferences import (
    ANY_TIME,
    ActionSetCheckinCadence,
    ActionSetContactHours,
    ActionSetDiscreet,
    parse_cadence,
    parse_discreet,
    parse_quiet_hours,
    spoken_time,
)
from bot.pause_policy import decide
from tests.bot.fake_api import FakeApi, running, tracker
from tests.bot.what_she_sees import rendered, what_she_sees
from tests.ports import closed_port_url

REPO = Path(__file__).resolve().parents[2]
CLIENT = "/api/clients/client-7"
CADENCE_PATH = f"{CLIENT}/checkin-cadence"
PREFERENCES_PATH = f"{CLIENT}/contact-preferences"
NOT_SAVED = "Sorry, I couldn't save that just now. Please try again later."
EN = {"language": "en"}
ES = {"language": "es"}


def run(
    action: Any, monkeypatch: pytest.MonkeyPatch, fake: FakeApi | None = None, **tracker_args: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    """The action's events and what she sees (rendered with her slots)."""
    tracker_args.setdefault("active_loop", None)
    dispatcher = CollectingDispatcher()
    t = tracker(**tracker_args)

    async def scenario() -> list[dict[str, Any]]:
        if fake is None:
            monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
            return await action.run(dispatcher, t, {})
        async with running(fake, monkeypatch):
            return await action.run(dispatcher, t, {})

    events = asyncio.run(scenario())
    return events, what_she_sees(dispatcher, t.slots)


def asked_before(question: str) -> list[dict[str, Any]]:
    """The turn in which Tandem asked its one question (cadence or hours)."""
    return [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "...", "parse_data": {}},
        {
            "event": "action",
            "name": f"action_set_{'checkin_cadence' if question == 'cadence' else 'contact_hours'}",
        },  # noqa: E501
        SlotSet("preference_question", question),
    ]


# --- her words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cadence"),
    [
        ("check in on me once a week", "weekly"),
        ("wkly is good", "weekly"),
        ("every 2 weeks is better for me", "every_2_weeks"),
        ("every other week pls", "every_2_weeks"),
        ("every few days", "every_few_days"),
        ("only when i text you", "when_i_text"),
        ("dont check in, ill reach out", "when_i_text"),
        ("PAUSE", "paused"),
        ("pausa", "paused"),
        ("no check ins for a bit", "paused"),
        ("i want the weekly check ins again", "weekly"),
        ("escribeme cada semana", "weekly"),
        ("cada 2 semanas porfa", "every_2_weeks"),
        ("solo cuando yo te escriba", "when_i_text"),
        ("start the check ins again", "resume"),  # at what cadence is hers to say: asked
        ("can u check in less often", None),
        ("stop checking in so much", None),  # less, not a pause
        ("2", None),  # a bare number only answers the numbered question
    ],
)
def test_her_words_are_a_cadence(text: str, cadence: str | None) -> None:
    assert parse_cadence(text) == cadence


@pytest.mark.parametrize(("text", "cadence"), [("2", "weekly"), ("#4", "when_i_text"), ("5", None)])
def test_a_bare_number_answers_the_numbered_question(text: str, cadence: str | None) -> None:
    assert parse_cadence(text, numbered=True) == cadence


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("not after 5", "17:00-08:00"),
        ("dnt txt aftr 5", "17:00-08:00"),
        ("please don't text me after 9 at night", "21:00-08:00"),
        ("only mornings", "12:00-08:00"),
        ("not while at work 9 to 5", "09:00-17:00"),
        ("i work 7-3 dont text during work", "07:00-15:00"),
        ("no texts before 10", "00:00-10:00"),
        ("nothing before noon please", "00:00-12:00"),
        ("not too early, after 9 is ok", "00:00-09:00"),
        ("only text between 10 and 2", "14:00-10:00"),
        ("quiet hours 8pm to 8am", "20:00-08:00"),
        ("no despues de las 5", "17:00-08:00"),
        ("solo por la manana", "12:00-08:00"),
        ("trabajo de 9 a 5", "09:00-17:00"),
        ("no antes de las 10", "00:00-10:00"),
        ("any time is fine", ANY_TIME),
        ("a cualquier hora esta bien", ANY_TIME),
        ("not while im at work", None),  # which hours: asked
        ("not on weekends", None),
    ],
)
def test_her_words_are_a_quiet_window(text: str, window: str | None) -> None:
    assert parse_quiet_hours(text) == window


def test_times_are_said_in_plain_words() -> None:
    assert [spoken_time(t) for t in ("17:00", "08:30", "12:00", "00:00")] == [
        "5pm", "8:30am", "noon", "midnight",
    ]  # fmt: skip
    assert spoken_time("12:00", "es") == "mediodia"


@pytest.mark.parametrize(
    ("text", "discreet"),
    [
        ("my partner reads my phone", True),
        ("mi esposo revisa mi telefono", True),
        ("normal texts are fine again", False),
        ("ya puedes escribir normal", False),
    ],
)
def test_discreet_on_or_off(text: str, discreet: bool) -> None:
    assert parse_discreet(text) is discreet


# --- how often ------------------------------------------------------------------------


def test_a_cadence_she_names_is_saved_and_confirmed_truthfully(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    events, seen = run(
        ActionSetCheckinCadence(), monkeypatch, fake,
        text="check in on me once a week", intent="set_checkin_cadence",
    )  # fmt: skip
    assert fake.bodies(CADENCE_PATH) == [{"cadence": "weekly", "changed_by": "bot"}]
    assert seen == [
        "Okay, I'll check in about once a week. Text PAUSE anytime to pause check-ins, or "
        "tell me another time."
    ]
    assert parse_cadence("PAUSE") == "paused", "the PAUSE she is told about works"


def test_paused_says_nothing_comes_not_even_follow_ups(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    _, seen = run(
        ActionSetCheckinCadence(), monkeypatch, fake,
        text="pausa los check ins", intent="set_checkin_cadence", slots=ES,
    )  # fmt: skip
    assert fake.cadence == "paused"
    assert seen == [rendered("utter_cadence_paused", ES)]
    assert "ni para dar seguimiento" in seen[0]


def test_unclear_asks_once_with_numbered_choices_and_takes_the_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    events, seen = run(
        ActionSetCheckinCadence(), monkeypatch, fake,
        text="can u check in less often", intent="set_checkin_cadence",
    )  # fmt: skip
    assert fake.bodies(CADENCE_PATH) == []
    assert seen == [
        "How often should I check in? Reply 1 for every few days, 2 for once a week, 3 for "
        "every 2 weeks, or 4 for only when you text me. You can pause anytime."
    ]
    assert events == [SlotSet("preference_question", "cadence")]

    events, seen = run(
        ActionSetCheckinCadence(), monkeypatch, fake,
        text="2", intent="inform_number", events_before=asked_before("cadence"),
    )  # fmt: skip
    assert fake.bodies(CADENCE_PATH) == [{"cadence": "weekly", "changed_by": "bot"}]
    assert seen == [rendered("utter_cadence_weekly", EN)]
    assert events == [SlotSet("preference_question", None)]


def test_asked_once_only(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    _, seen = run(
        ActionSetCheckinCadence(), monkeypatch, fake,
        text="idk how often", intent="set_checkin_cadence", events_before=asked_before("cadence"),
    )  # fmt: skip
    assert fake.requests == []
    assert seen == [rendered("utter_cadence_unclear", EN)]


def test_asking_in_the_middle_of_the_services_form_lets_it_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events, _ = run(
        ActionSetCheckinCadence(), monkeypatch, FakeApi(),
        text="how often do you check in", intent="set_checkin_cadence",
        active_loop="find_services_form", slots={"need": "moud", "requested_slot": "location"},
    )  # fmt: skip
    assert events[:2] == [ActiveLoop(None), SlotSet("requested_slot", None)]


@pytest.mark.parametrize("status", [None, 500, 422])
def test_a_failed_save_is_never_confirmed(
    monkeypatch: pytest.MonkeyPatch, status: int | None
) -> None:
    fake = None if status is None else FakeApi(cadence_status=status)
    _, seen = run(
        ActionSetCheckinCadence(), monkeypatch, fake,
        text="weekly please", intent="set_checkin_cadence",
    )  # fmt: skip
    assert seen == [NOT_SAVED]


# --- hours ------------------------------------------------------------------------------


def test_not_after_5_is_saved_and_said_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    _, seen = run(
        ActionSetContactHours(), monkeypatch, fake, text="not after 5", intent="set_contact_hours"
    )
    assert fake.bodies(PREFERENCES_PATH) == [{"quiet_hours": "17:00-08:00", "changed_by": "bot"}]
    assert seen == [
        "Got it. I won't text you first between 5pm and 8am. If you text me, I'll still answer "
        "anytime."
    ]


def test_in_spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    _, seen = run(
        ActionSetContactHours(), monkeypatch, fake,
        text="solo por la manana", intent="set_contact_hours", slots=ES,
    )  # fmt: skip
    assert fake.preferences["quiet_hours"] == "12:00-08:00"
    assert seen == [
        "Listo. No te voy a escribir primero entre mediodia y 8am. Si tu me escribes, te "
        "contesto a cualquier hora."
    ]


def test_any_time_clears_her_window(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(preferences={"quiet_hours": "17:00-08:00", "discreet": False})
    _, seen = run(
        ActionSetContactHours(), monkeypatch, fake,
        text="any time is fine", intent="set_contact_hours",
    )  # fmt: skip
    assert fake.bodies(PREFERENCES_PATH) == [{"quiet_hours": None, "changed_by": "bot"}]
    assert seen == [rendered("utter_contact_hours_any", EN)]


def test_unclear_hours_ask_then_her_answer_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    _, seen = run(
        ActionSetContactHours(), monkeypatch, fake,
        text="not while im at work", intent="set_contact_hours",
    )  # fmt: skip
    assert fake.requests == []
    assert seen == [rendered("utter_ask_contact_hours", EN)]
    _, seen = run(
        ActionSetContactHours(), monkeypatch, fake,
        text="9-5", intent="inform_number", events_before=asked_before("hours"),
    )  # fmt: skip
    assert fake.preferences["quiet_hours"] == "09:00-17:00"
    assert "between 9am and 5pm" in seen[0]


def test_hours_not_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    _, seen = run(
        ActionSetContactHours(), monkeypatch, FakeApi(preferences_status=503),
        text="not after 5", intent="set_contact_hours",
    )  # fmt: skip
    assert seen == [NOT_SAVED]


# --- discreet ---------------------------------------------------------------------------


def test_discreet_tells_her_what_her_check_ins_will_look_like(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    _, seen = run(
        ActionSetDiscreet(), monkeypatch, fake,
        text="my partner reads my phone", intent="ask_discreet",
    )  # fmt: skip
    assert fake.bodies(PREFERENCES_PATH) == [{"discreet": True, "changed_by": "bot"}]
    [said] = seen
    assert "Hi, it's T. Reply 1 if it's a good time to talk." in said
    assert "Nothing about drugs, recovery, DCF or pregnancy" in said
    assert '"not after 5"' in said  # hours offered too


def test_normal_texts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(preferences={"quiet_hours": None, "discreet": True})
    _, seen = run(
        ActionSetDiscreet(), monkeypatch, fake,
        text="normal texts are fine again", intent="ask_discreet",
    )  # fmt: skip
    assert fake.preferences["discreet"] is False
    assert seen == [rendered("utter_discreet_off", EN)]


def test_discreet_not_saved_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    _, seen = run(ActionSetDiscreet(), monkeypatch, None, text="he checks my phone")
    assert seen == [NOT_SAVED]


# --- her reply to a check-in the scheduler sent -------------------------------------------


def external(kind: str, discreet: str) -> dict[str, Any]:
    return {
        "text": "EXTERNAL: EXTERNAL_check_in",
        "intent": "EXTERNAL_check_in",
        "entities": [
            {"entity": "check_in_kind", "value": kind},
            {"entity": "discreet", "value": discreet},
        ],
        "message_sid": None,
    }


def test_a_check_in_sent_sets_the_slots_and_says_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    events, seen = run(ActionNoteCheckIn(), monkeypatch, None, **external("support", "true"))
    assert seen == []
    assert events == [SlotSet("check_in", "discreet"), SlotSet("check_in_kind", "support")]
    events, _ = run(ActionNoteCheckIn(), monkeypatch, None, **external("regular", "false"))
    assert events == [SlotSet("check_in", "asked"), SlotSet("check_in_kind", "regular")]


NOTED = [{"event": "action", "name": "action_note_check_in"}]


@pytest.mark.parametrize(("text", "intent"), [("1", "inform_number"), ("yes", "affirm")])
def test_after_the_discreet_check_in_her_yes_gets_the_real_question(
    monkeypatch: pytest.MonkeyPatch, text: str, intent: str
) -> None:
    action = ActionHandleNumber() if intent == "inform_number" else ActionCheckInReply()
    slots = {"check_in": "discreet", "check_in_kind": "referral_follow_up"}
    events, seen = run(
        action, monkeypatch, None, text=text, intent=intent, slots=slots, events_before=NOTED
    )
    assert seen == [
        "Thanks. Checking in about your referral: were you able to reach them? If something "
        "got in the way, tell me and I can help."
    ]
    assert events == [SlotSet("check_in", "asked")]
    _, seen = run(
        action, monkeypatch, None, text=text, intent=intent, slots={**slots, **ES},
        events_before=NOTED,
    )  # fmt: skip
    assert seen == [rendered("utter_check_in_referral_follow_up", ES)]


def test_she_reached_them_in_her_own_words_after_the_referral_follow_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "yes i talked to them" reads as inform_safe: a yes to the question, not "glad you're
    safe" (the rule in data/rules/checkin.yml; the story in stories/checkin_preferences.yml)."""
    events, seen = run(
        ActionCheckInReply(), monkeypatch, None, text="yes i talked to them", intent="inform_safe",
        slots={"check_in": "asked", "check_in_kind": "referral_follow_up"}, events_before=NOTED,
    )  # fmt: skip
    assert seen == [rendered("utter_check_in_reached", EN)]
    assert events == [SlotSet("check_in", "none")]


def test_after_the_discreet_check_in_not_now_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events, seen = run(
        ActionCheckInReply(), monkeypatch, None, text="not now", intent="deny",
        slots={"check_in": "discreet", "check_in_kind": "regular"}, events_before=NOTED,
    )  # fmt: skip
    assert seen == ["Okay. I'm here whenever you want."]
    assert events == [SlotSet("check_in", "none")]


def test_after_a_check_in_a_bare_number_is_her_mood(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    events, seen = run(
        ActionHandleNumber(), monkeypatch, fake, text="3", intent="inform_number",
        slots={"check_in": "asked", "check_in_kind": "regular"}, events_before=NOTED,
    )  # fmt: skip
    assert [(s["type"], s["value"]) for s in fake.signals] == [("checkin_mood", 3)]
    assert seen == [rendered("utter_checkin_mood_ok", EN)]
    assert SlotSet("check_in", "none") in events


def test_after_a_discreet_check_in_a_2_is_no_mood(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    _, seen = run(
        ActionHandleNumber(), monkeypatch, fake, text="2", intent="inform_number",
        slots={"check_in": "discreet", "check_in_kind": "regular"}, events_before=NOTED,
    )  # fmt: skip
    assert fake.signals == []
    assert seen == [rendered("utter_number_unclear", EN)]


# --- an appointment ahead ---------------------------------------------------------------

SATURDAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("my ob appt is tmrw at 10", date(2026, 12, 6)),
        ("tengo cita el viernes", date(2026, 12, 11)),
        ("i see my doctor monday", date(2026, 12, 7)),
        ("ultrasound on saturday", date(2026, 12, 12)),  # today's weekday: the next one
        ("counseling appt today at 3", SATURDAY),
        ("my intake is on the 12th", date(2026, 12, 12)),
        ("mi cita es el 3", date(2027, 1, 3)),
        ("appt 12/20", date(2026, 12, 20)),
        ("tengo cita manana", date(2026, 12, 6)),
        ("tengo cita el lunes por la manana", date(2026, 12, 7)),
        ("i have an appointment soon", None),
    ],
)
def test_the_day_of_her_appointment(text: str, day: date | None) -> None:
    assert parse_appointment_date(text, SATURDAY) == day


@pytest.mark.parametrize(
    ("cadence", "promised"),
    [(None, True), ("weekly", True), ("paused", False), ("when_i_text", False)],
)
def test_a_follow_up_is_promised_only_when_her_check_ins_allow_it(
    monkeypatch: pytest.MonkeyPatch, cadence: str | None, promised: bool
) -> None:
    monkeypatch.setattr(appointments, "today_here", lambda: SATURDAY)
    fake = FakeApi(cadence=cadence)
    _, seen = run(
        ActionAppointmentUpcoming(), monkeypatch, fake,
        text="my ob appt is tmrw at 10", intent="inform_appointment_upcoming",
    )  # fmt: skip
    assert [(s["type"], s["value"]) for s in fake.signals] == [
        ("appointment_upcoming", "2026-12-06")
    ]
    promise = "I'll check in the day after to see how it went."
    assert seen == [rendered("utter_appointment_upcoming", EN), *([promise] if promised else [])]


def test_no_promise_when_the_api_cannot_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(appointments, "today_here", lambda: SATURDAY)
    _, seen = run(
        ActionAppointmentUpcoming(), monkeypatch, FakeApi(cadence_status=503),
        text="tengo cita el viernes", intent="inform_appointment_upcoming", slots=ES,
    )  # fmt: skip
    assert seen == [rendered("utter_appointment_upcoming", ES)]


# --- the policy sends her answer to the question back -------------------------------------


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


def conversation(domain: Domain, *events: Event) -> DialogueStateTracker:
    start: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    return DialogueStateTracker.from_events("client-7", [*start, *events], slots=domain.slots)


def question_then(reply: str, intent: str, question: str = "cadence") -> list[Event]:
    action = "action_set_checkin_cadence" if question == "cadence" else "action_set_contact_hours"
    return [
        ActionExecuted("action_listen"),
        UserUttered("how often do u check in", {"name": "set_checkin_cadence", "confidence": 0.9}),
        ActionExecuted(action),
        RasaSlotSet("preference_question", question),
        ActionExecuted("action_listen"),
        UserUttered(reply, {"name": intent, "confidence": 0.9}),
    ]


def test_her_answer_goes_back_to_the_question(domain: Domain) -> None:
    assert decide(conversation(domain, *question_then("2", "inform_number"))) == (
        "action_set_checkin_cadence"
    )
    assert decide(conversation(domain, *question_then("weekly is good", "affirm"))) == (
        "action_set_checkin_cadence"
    )
    hours = question_then("not after 6", "set_contact_hours", question="hours")
    assert decide(conversation(domain, *hours)) == "action_set_contact_hours"


def test_anything_else_is_answered_as_itself(domain: Domain) -> None:
    assert (
        decide(conversation(domain, *question_then("i need a ride", "need_transportation"))) is None
    )
    crisis = question_then("2 many pills i took", "crisis_overdose")
    assert decide(conversation(domain, *crisis)) is None


def test_the_question_is_only_answered_right_after_it(domain: Domain) -> None:
    later = [
        *question_then("thanks", "thanks"),
        ActionExecuted("utter_you_are_welcome"),
        ActionExecuted("action_listen"),
        UserUttered("2", {"name": "inform_number", "confidence": 0.9}),
    ]
    assert decide(conversation(domain, *later)) != "action_set_checkin_cadence"


def test_the_domain_has_every_response_the_actions_send() -> None:
    responses = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))["responses"]
    for cadence in ("every_few_days", "weekly", "every_2_weeks", "when_i_text", "paused"):
        assert f"utter_cadence_{cadence}" in responses
    for kind in ("regular", "support", "referral_follow_up", "missed_appointment", "stage",
                 "appointment_follow_up"):  # fmt: skip
        assert f"utter_check_in_{kind}" in responses


@pytest.mark.parametrize(
    ("action", "text", "path", "body"),
    [
        # NLU called them hours; her words are about how often.
        (ActionSetContactHours(), "stop texting me for now", CADENCE_PATH, {"cadence": "paused"}),
        (
            ActionSetCheckinCadence(),
            "not after 5",
            PREFERENCES_PATH,
            {"quiet_hours": "17:00-08:00"},
        ),
    ],
)
def test_her_words_decide_whichever_intent_nlu_gave(
    monkeypatch: pytest.MonkeyPatch, action: Any, text: str, path: str, body: dict[str, Any]
) -> None:
    fake = FakeApi()
    run(action, monkeypatch, fake, text=text, intent="set_contact_hours")
    assert fake.bodies(path) == [{**body, "changed_by": "bot"}]


def test_text_me_less_asks_how_often(monkeypatch: pytest.MonkeyPatch) -> None:
    _, seen = run(ActionSetContactHours(), monkeypatch, FakeApi(), text="can u text less")
    assert seen == [rendered("utter_ask_checkin_cadence", EN)]


def test_hours_answer_the_cadence_question_too(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    run(
        ActionSetContactHours(), monkeypatch, fake,
        text="just not after 5", intent="set_contact_hours", events_before=asked_before("cadence"),
    )  # fmt: skip
    assert fake.preferences["quiet_hours"] == "17:00-08:00"
    assert fake.bodies(CADENCE_PATH) == []


def test_weekends_are_not_weekly() -> None:
    assert parse_cadence("not on weekends") is None

"""The actions behind issue 3's dialogs, on tracker fixtures against the fake services API
(tests/bot/fake_api.py): filters, details, a bare number, onboarding and her profile, a loss,
check-ins, barriers, providers, DCF, a person, consent, offers, and the crisis alert.

Each checks what she is sent (responses from domain.yml, SMS-sized texts), the events, and
what reached the API: signals and alerts carry categories, never her words, and every action
still answers her when the API is down.
"""

import asyncio
import inspect
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.appointments
import actions.bare_number
import actions.checkin
import actions.checkin_preferences
import actions.crisis
import actions.find_services
import actions.knowledge
import actions.language
import actions.onboarding
import actions.referral
import actions.service_details
import actions.support
from actions.bare_number import ActionHandleNumber
from actions.checkin import (
    ActionAppointmentAttended,
    ActionCheckinMood,
    ActionCraving,
    ActionMilestone,
    ActionReturnToUse,
    parse_mood,
)
from actions.choices import number_in
from actions.crisis import ActionCrisisAlert, ActionMarkSafe
from actions.find_services import ActionFilterServices, ActionPauseForm, ActionSearchServices
from actions.onboarding import (
    ActionAskProfile,
    ActionGreet,
    ActionProfileAnswer,
    ActionReportLoss,
    ActionUpdateName,
    ActionUpdateStage,
    name_answer,
)
from actions.place_text import looks_like_place
from actions.profile import clean_name, parse_stage
from actions.result_messages import details_messages
from actions.service_details import ActionServiceDetails
from actions.sms import MAX_CHARS
from actions.support import (
    ActionAcceptOffer,
    ActionAppointmentMissed,
    ActionDcfWorry,
    ActionHandleBarrier,
    ActionProviderFeedback,
    ActionRequestHuman,
    barrier_in,
)
from actions.taxonomy import load_taxonomy
from sms_text.segments import count_segments, gsm7_length, is_gsm7
from tests.bot.fake_api import (
    PENDING_SIGNALS,
    FakeApi,
    details,
    details_in_spanish,
    running,
    service,
    tracker,
)
from tests.bot.what_she_sees import what_she_sees
from tests.ports import closed_port_url

REPO = Path(__file__).resolve().parents[2]
ACTION_MODULES = [
    actions.find_services,
    actions.service_details,
    actions.bare_number,
    actions.onboarding,
    actions.checkin,
    actions.checkin_preferences,
    actions.appointments,
    actions.support,
    actions.crisis,
    actions.referral,
    actions.language,
    actions.knowledge,
]
SHOWN = {"last_results": ["svc-1|loc-1", "svc-2|loc-2", "svc-3|loc-3"]}
SEARCH = {"need": "moud_buprenorphine", "location": "01105", **SHOWN}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    with (REPO / "domain.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def run(
    action: Any,
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeApi | None = None,
    domain: dict[str, Any] | None = None,
    **tracker_args: Any,
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    """Run the action on tracker(**tracker_args) against the fake API (or a closed port)."""
    dispatcher = CollectingDispatcher()
    t = tracker(**tracker_args)

    async def scenario() -> list[dict[str, Any]]:
        if fake is None:
            monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
            return await action.run(dispatcher, t, domain or {})
        async with running(fake, monkeypatch):
            return await action.run(dispatcher, t, domain or {})

    return asyncio.run(scenario()), dispatcher


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def assert_sms_sized(messages: list[str]) -> None:
    for message in messages:
        assert is_gsm7(message), message
        assert gsm7_length(message) <= MAX_CHARS, message


# --- filters ---------------------------------------------------------------------------------


def test_a_filter_narrows_the_same_search(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(
        results=[
            service(1, features=["masshealth"]),
            service(2, features=["masshealth", "childcare_onsite"]),
            service(3, features=[]),
        ]
    )
    events, dispatcher = run(
        ActionFilterServices(),
        monkeypatch,
        fake,
        slots={**SEARCH, "search_features": ["masshealth"]},
        text="i need one with childcare",
        intent="filter_results",
    )
    search = [r for r in fake.requests if r["path"] == "/api/services/search"][0]
    assert search["json"]["features"] == ["masshealth", "childcare_onsite"]
    sent = texts(dispatcher)
    assert sent[0] == (
        "Here are places near Springfield for buprenorphine (Suboxone) "
        "(takes MassHealth, childcare on site):"
    )
    assert sent[1].startswith("1) Demo Recovery Program 2, Springfield.")
    assert SlotSet("search_features", ["masshealth", "childcare_onsite"]) in events
    assert SlotSet("last_results", ["svc-2|loc-2"]) in events
    assert_sms_sized(sent)


def test_a_filter_in_spanish_names_the_features_in_spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(
        results=[
            service(1, features=["masshealth"]),
            service(2, features=["masshealth", "spanish"]),
        ]
    )
    events, dispatcher = run(
        ActionFilterServices(),
        monkeypatch,
        fake,
        slots={**SEARCH, "search_features": ["masshealth"], "language": "es"},
        text="hay alguno en espanol?",
        intent="filter_results",
    )
    search = fake.bodies("/api/services/search")[0]
    assert (search["features"], search["language"]) == (["masshealth", "spanish"], "es")
    assert texts(dispatcher) == [
        "Estos son lugares cerca de Springfield para buprenorfina (Suboxone) "
        "(acepta MassHealth, se habla espa\u00f1ol):",
        "1) Demo Recovery Program 2, Springfield. Llama al (413) 555-0102. "
        "a 1.0 millas; acepta MassHealth; se habla espa\u00f1ol",
        "Dime otro tipo de ayuda, u otro pueblo. "
        "\u00bfQuieres que uno de ellos te contacte? Escribe su numero.",
    ]
    assert SlotSet("last_results", ["svc-2|loc-2"]) in events
    assert_sms_sized(texts(dispatcher))


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("do they take masshealth", "masshealth"),
        ("any open evenings", "evening_hours"),
        ("en espanol", "spanish"),
        ("en español", "spanish"),
        ("any that do weekends", "weekend_hours"),
        ("can i do it over video", "telehealth"),
        ("do any take walk ins", "walk_in"),
        ("only ones for pregnant women", "perinatal"),
        ("women only please", "women_only"),
        ("any that help with rides", "transport_help"),
        ("which can see me this week", "same_week_intake"),
    ],
)
def test_filters_in_her_words(monkeypatch: pytest.MonkeyPatch, text: str, feature: str) -> None:
    fake = FakeApi(results=[service(1, features=[feature])])
    events, _ = run(ActionFilterServices(), monkeypatch, fake, slots=SEARCH, text=text)
    assert SlotSet("search_features", [feature]) in events


def test_show_all_drops_the_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(1), service(2)])
    events, _ = run(
        ActionFilterServices(),
        monkeypatch,
        fake,
        slots={**SEARCH, "search_features": ["spanish"]},
        text="show all again",
    )
    assert "features" not in fake.requests[0]["json"]
    assert SlotSet("search_features", []) in events


def test_a_filter_nobody_matches_says_so_kindly(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(1, features=[])])
    _, dispatcher = run(
        ActionFilterServices(), monkeypatch, fake, slots=SEARCH, text="any open on weekends"
    )
    assert responses(dispatcher) == ["utter_no_filtered_services"]


def test_a_filter_it_cannot_tell_lists_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(1)])
    events, dispatcher = run(
        ActionFilterServices(), monkeypatch, fake, slots=SEARCH, text="i need a better one"
    )
    assert events == [] and responses(dispatcher) == ["utter_filter_which"]
    assert fake.requests == []


def test_a_filter_before_a_search_asks_for_the_need(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(
        ActionFilterServices(), monkeypatch, FakeApi(), text="do they take masshealth"
    )
    assert responses(dispatcher) == ["utter_ask_need"]
    assert SlotSet("search_features", ["masshealth"]) in events


def test_a_filter_with_a_need_but_no_place_opens_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    events, _ = run(
        ActionFilterServices(),
        monkeypatch,
        FakeApi(),
        slots={"need": "housing"},
        text="spanish speaking please",
    )
    assert FollowupAction("find_services_form") in events


def test_a_new_search_keeps_only_the_safe_features_of_her_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "i need a ride asap": neither "ride" nor "asap" narrow a transportation search."""
    fake = FakeApi(results=[service(1, features=["masshealth"])])
    run(
        ActionSearchServices(),
        monkeypatch,
        fake,
        slots={"need": "transportation", "location": "01105"},
        text="i need a ride asap, one that takes masshealth",
    )
    assert fake.requests[0]["json"]["features"] == ["masshealth"]


# --- details and a bare number ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("tell me about #2", 2),
        ("whats the address for the first one", 1),
        ("more info on number 3", 3),
        ("tell me about the second one", 2),
        ("2", 2),
        ("number two", 2),
        ("tell me more about that last one", "last"),
        ("01105", None),
        ("dos", 2),
    ],
)
def test_the_number_she_means(text: str, n: int | str | None) -> None:
    assert number_in(text) == n


def test_details_about_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionServiceDetails(),
        monkeypatch,
        fake,
        slots=SEARCH,
        text="tell me about #2",
        intent="ask_service_details",
    )
    assert events == [SlotSet("details_shown", 2.0)]  # "i want that one" next picks it
    request = fake.requests[0]
    assert (request["method"], request["url"]) == (
        "GET",
        "/api/services/svc-2?location_id=loc-2&language=en",
    )
    sent = texts(dispatcher)
    assert sent == [
        "2) Demo Recovery Program 2, 102 Main St, Springfield, MA 01105. Call (413) 555-0102. "
        "Hours: Mon-Fri 8am-6pm. Takes MassHealth, childcare on site.",
        "To start: Call to set up an intake visit, usually within a week. "
        "Bring: Photo ID and your MassHealth card if you have one. "
        "Cost: MassHealth accepted; sliding scale.",
    ]
    assert [count_segments(m) for m in sent] == [1, 2]
    assert_sms_sized(sent)


def test_details_about_one_place_in_spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionServiceDetails(),
        monkeypatch,
        fake,
        slots={**SEARCH, "language": "es"},
        text="dime mas de la 2",
        intent="ask_service_details",
    )
    assert events == [SlotSet("details_shown", 2.0)]
    assert fake.requests[0]["url"] == "/api/services/svc-2?location_id=loc-2&language=es"
    sent = texts(dispatcher)
    # Tandem's words, the days and the features in Spanish (the API wrote the last two); the
    # directory's own texts (intake, what to bring, cost) as the directory wrote them.
    assert sent == [
        "2) Demo Recovery Program 2, 102 Main St, Springfield, MA 01105. Llama al (413) 555-0102. "
        "Horario: lun-vie 8am-6pm. Acepta MassHealth, cuidado de ni\u00f1os en el lugar.",
        "Para empezar: Call to set up an intake visit, usually within a week. "
        "Trae: Photo ID and your MassHealth card if you have one. "
        "Costo: MassHealth accepted; sliding scale.",
    ]
    assert [count_segments(m) for m in sent] == [2, 2]
    assert_sms_sized(sent)


@pytest.mark.parametrize("language", [None, "en", "fr"])
def test_details_without_spanish_stay_in_english(
    monkeypatch: pytest.MonkeyPatch, language: str | None
) -> None:
    fake = FakeApi()
    _, dispatcher = run(
        ActionServiceDetails(), monkeypatch, fake, slots={**SEARCH, "language": language}, text="#1"
    )
    assert fake.requests[0]["query"] == {"location_id": "loc-1", "language": "en"}
    sent = texts(dispatcher)
    assert sent[0].startswith("1) Demo Recovery Program 1, 101 Main St, Springfield, MA 01105.")
    assert "Call (413) 555-0101. Hours: Mon-Fri 8am-6pm." in sent[0]
    assert sent[1].startswith("To start: ")


def test_details_of_a_place_with_long_fields_still_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    long = details(1, hours="Mon 8-5; " * 40, what_to_bring="ID \u2013 card \u201cX\u201d " * 40)
    assert_sms_sized(details_messages(1, long))
    every = list(load_taxonomy()["features"])
    long_es = details_in_spanish(
        details(
            1,
            name="Centro de Recuperaci\u00f3n \u201cNuevo Camino\u201d " + "Programa " * 30,
            hours="Mon-Fri 8am-6pm; " * 20,
            features=every,
            application_process="Llame para una cita \u2013 " * 20,
            fees_description="Acepta MassHealth; " * 20,
        )
    )
    sent = details_messages(1, long_es, "es")
    assert_sms_sized(sent)
    assert "Llama al (413) 555-0101." in sent[0] and sent[1].startswith("Para empezar: ")
    assert not set("\u00e1\u00ed\u00f3\u00fa") & set("".join(sent))  # no accented a/i/o/u
    unnamed = details_messages(3, details(3, name="", hours=None, feature_labels=[]), "es")
    assert (
        unnamed[0] == "3) Este lugar, 103 Main St, Springfield, MA 01105. Llama al (413) 555-0103."
    )


@pytest.mark.parametrize(
    ("slots", "text", "expected"),
    [
        ({}, "tell me about #2", "utter_details_no_list"),
        (SEARCH, "tell me about #9", "utter_details_which"),
        (SEARCH, "tell me about that place", "utter_details_which"),
    ],
)
def test_details_without_a_list_or_a_number(
    monkeypatch: pytest.MonkeyPatch, slots: dict[str, Any], text: str, expected: str
) -> None:
    fake = FakeApi()
    _, dispatcher = run(ActionServiceDetails(), monkeypatch, fake, slots=slots, text=text)
    assert responses(dispatcher) == [expected]
    assert fake.requests == []


def test_details_when_the_api_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _, dispatcher = run(ActionServiceDetails(), monkeypatch, None, slots=SEARCH, text="#1")
    assert responses(dispatcher) == ["utter_details_unavailable"]
    _, dispatcher = run(
        ActionServiceDetails(), monkeypatch, FakeApi(details_status=404), slots=SEARCH, text="#1"
    )
    assert responses(dispatcher) == ["utter_details_unavailable"]


def results_shown() -> list[dict[str, Any]]:
    return [{"event": "action", "name": "action_search_services"}]


def mood_asked() -> list[dict[str, Any]]:
    return [
        {"event": "action", "name": "action_search_services"},
        {"event": "action", "name": "utter_checkin_ask_mood"},
    ]


def test_a_bare_number_after_results_picks_that_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "3" after the list: the referral offer for the third place (actions/referral.py)."""
    fake = FakeApi()
    events, dispatcher = run(
        ActionHandleNumber(),
        monkeypatch,
        fake,
        slots=SEARCH,
        text="3",
        intent="inform_number",
        events_before=results_shown(),
    )
    assert fake.bodies("/api/referrals")[0]["service_id"] == "svc-3"
    assert texts(dispatcher) == fake.consent_parts
    assert SlotSet("consent_pending", True) in events


def test_a_bare_number_after_the_mood_question_is_her_mood(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionHandleNumber(),
        monkeypatch,
        fake,
        slots=SEARCH,
        text="2",
        intent="inform_number",
        events_before=mood_asked(),
    )
    assert responses(dispatcher) == ["utter_checkin_mood_low"]
    assert fake.signals[0]["type"] == "checkin_mood" and fake.signals[0]["value"] == 2
    assert SlotSet("offer", "need") in events and SlotSet("offered", "mental_health") in events


def test_a_bare_number_out_of_context_is_asked_about(monkeypatch: pytest.MonkeyPatch) -> None:
    _, dispatcher = run(ActionHandleNumber(), monkeypatch, FakeApi(), text="4")
    assert responses(dispatcher) == ["utter_number_unclear"]


# --- onboarding and her profile -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("jess", "Jess"),
        ("my names ashley lol", "Ashley"),
        ("call me mari", "Mari"),
        ("danielle but call me dani", "Dani"),
        ("just call me mama k", "Mama K"),
        ("me llamo yesenia", "Yesenia"),
        ("im destiny", "Destiny"),
        ("01105", None),
        ("i need subs", None),
        ("idk", None),
        ("why do u need that", None),
        # a goodbye is never her name (safety_AE: "Thanks, Last Bottle!")
        ("last bottle, last cig, last night", None),
        ("bye everyone", None),
    ],
)
def test_her_name_from_her_words(text: str, name: str | None) -> None:
    assert clean_name(text) == name


TODAY = date(2025, 5, 1)


@pytest.mark.parametrize(
    ("text", "stage", "due", "born"),
    [
        ("im pregnant", "pregnant", None, None),
        ("22 weeks", "pregnant", TODAY + timedelta(days=280 - 154), None),
        ("due 9/14", "pregnant", date(2025, 9, 14), None),
        ("due in august", "pregnant", date(2025, 8, 15), None),
        ("due date is march 3", "pregnant", date(2026, 3, 3), None),
        ("estoy embarazada de 5 meses", "pregnant", TODAY + timedelta(days=280 - 152), None),
        ("tengo 20 semanas", "pregnant", TODAY + timedelta(days=140), None),
        ("i had my baby last week", "postpartum", None, TODAY - timedelta(days=7)),
        ("she was born 4/12", "postpartum", None, date(2025, 4, 12)),
        ("my son is 3 months", "postpartum", None, TODAY - timedelta(days=91)),
        ("mi bebe tiene 2 meses", "postpartum", None, TODAY - timedelta(days=61)),
        ("postpartum", "postpartum", None, None),
        ("both, i have a toddler and i'm pregnant again", "pregnant", None, None),
        ("idk", None, None, None),
        ("i lost the baby", None, None, None),
    ],
)
def test_her_stage_from_her_words(
    text: str, stage: str | None, due: date | None, born: date | None
) -> None:
    parsed = parse_stage(text, TODAY)
    assert parsed.stage == stage
    assert parsed.due_date == (due.isoformat() if due else None)
    assert parsed.baby_birth_date == (born.isoformat() if born else None)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("jess", "Jess"),
        ("Ana Lucia", "Ana Lucia"),
        ("call me mari", "Mari"),
        ("my names ashley lol", "Ashley"),
        ("soy maria", "Maria"),
        ("im destiny", "Destiny"),
        ("Sharon", "Sharon"),
        # what the outside probe saw taken as names, and others like them
        ("ride never came", None),
        ("can you send my details to the clinic", None),
        ("i missed my appointment", None),
        ("rough week", None),
        ("im tired", None),
        ("im struggling", None),
        ("i relapsed", None),
        ("estoy embarazada y en metadona", None),
        ("dont text me in the evening", None),
        ("ok thanks", None),
        ("nvm", None),
        ("skip", None),
        ("ride", None),
        ("subs", None),
        ("why do u need that?", None),
        ("mama k jones", None),
    ],
)
def test_a_reply_to_the_name_question_is_a_name_only_if_it_reads_as_one(
    text: str, name: str | None
) -> None:
    assert name_answer(text) == name


def profile_slots(**slots: Any) -> dict[str, Any]:
    return {
        "preferred_name": None,
        "stage": None,
        "pregnancy_loss": False,
        "profile_asked": None,
        "profile_question": None,
        **slots,
    }


def test_the_profile_questions_are_asked_once_each_name_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events, dispatcher = run(ActionAskProfile(), monkeypatch, slots=profile_slots())
    assert responses(dispatcher) == ["utter_ask_profile_name"]
    assert SlotSet("profile_asked", ["name"]) in events
    assert SlotSet("profile_question", "name") in events
    events, dispatcher = run(
        ActionAskProfile(), monkeypatch, slots=profile_slots(profile_asked=["name"])
    )
    assert responses(dispatcher) == ["utter_ask_profile_stage"]
    assert SlotSet("profile_asked", ["name", "stage"]) in events
    events, dispatcher = run(
        ActionAskProfile(), monkeypatch, slots=profile_slots(profile_asked=["name", "stage"])
    )
    assert dispatcher.messages == [] and events == [SlotSet("profile_question", None)]


def test_no_stage_question_after_a_loss_or_when_she_told_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for slots in ({"pregnancy_loss": True}, {"stage": "pregnant"}):
        _, dispatcher = run(
            ActionAskProfile(), monkeypatch, slots=profile_slots(profile_asked=["name"], **slots)
        )
        assert dispatcher.messages == []


def test_her_name_as_an_answer_is_saved_and_the_stage_question_follows_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionProfileAnswer(),
        monkeypatch,
        fake,
        text="Jess",
        intent="inform_name",
        slots=profile_slots(profile_question="name", profile_asked=["name"]),
    )
    assert SlotSet("preferred_name", "Jess") in events
    assert fake.patches("client-7") == [{"preferred_name": "Jess"}]
    assert dispatcher.messages[0]["response"] == "utter_ask_profile_stage_after_name"
    assert dispatcher.messages[0]["preferred_name"] == "Jess"
    assert SlotSet("profile_asked", ["name", "stage"]) in events


def test_her_name_when_the_stage_is_known_is_just_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(
        ActionProfileAnswer(),
        monkeypatch,
        FakeApi(),
        text="call me Bree",
        slots=profile_slots(profile_question="name", profile_asked=["name"], stage="postpartum"),
    )
    assert responses(dispatcher) == ["utter_name_noted"]
    assert SlotSet("profile_question", None) in events


def test_her_stage_as_an_answer_is_saved_and_the_question_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionProfileAnswer(),
        monkeypatch,
        fake,
        text="due 12/25",
        intent="inform_stage",
        slots=profile_slots(profile_question="stage", profile_asked=["name", "stage"]),
    )
    assert responses(dispatcher) == ["utter_stage_pregnant"]
    assert SlotSet("stage", "pregnant") in events and SlotSet("profile_question", None) in events
    patch = fake.patches("client-7")[0]
    assert patch["stage"] == "pregnant" and patch["due_date"].endswith("-12-25")


def test_her_stage_is_kept_when_the_api_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(
        ActionProfileAnswer(),
        monkeypatch,
        None,
        text="had him 2 weeks ago",
        slots=profile_slots(profile_question="stage"),
    )
    assert SlotSet("stage", "postpartum") in events
    assert responses(dispatcher) == ["utter_stage_postpartum"]


def test_a_greeting_is_the_full_welcome_once(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(ActionGreet(), monkeypatch, slots={"introduced": False})
    assert responses(dispatcher) == ["utter_greet"] and events == [SlotSet("introduced", True)]
    events, dispatcher = run(ActionGreet(), monkeypatch, slots={"introduced": True})
    assert responses(dispatcher) == ["utter_greet_again"] and events == []


# --- a form lets go ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("01105", True),
        ("springfeld", True),
        ("im in west springfield ma", True),
        ("by the mall in holyoke", True),
        ("ok thanks", False),
        ("nvm", False),
        ("never mind", False),
        ("can i reschedule my appointment?", False),
        ("my partner reads my phone", False),
        ("i dont want to say where i live", False),
    ],
)
def test_her_whole_reply_is_a_place_only_if_it_could_be_one(text: str, place: bool) -> None:
    assert looks_like_place(text) is place


def test_a_form_that_lets_go_asks_once_if_she_still_wants_the_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events, dispatcher = run(
        ActionPauseForm(),
        monkeypatch,
        text="who sees my texts",
        intent="ask_privacy",
        slots={"need": "moud_buprenorphine", "requested_slot": "location"},
    )
    assert events[:2] == [
        {"event": "active_loop", "timestamp": None, "name": None},
        SlotSet("requested_slot", None),
    ]
    assert responses(dispatcher) == ["utter_resume_search_place"]
    assert dispatcher.messages[0]["need_label"] == "buprenorphine (Suboxone)"
    assert SlotSet("offer", "need") in events
    assert SlotSet("offered", "moud_buprenorphine") in events


def test_a_form_that_lets_go_names_her_place_when_it_knows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, dispatcher = run(
        ActionPauseForm(),
        monkeypatch,
        text="are you a bot",
        intent="bot_challenge",
        slots={"need": "moud_methadone", "location": "Springfield"},
    )
    assert responses(dispatcher) == ["utter_resume_search"]
    assert dispatcher.messages[0]["place"] == " near Springfield"


@pytest.mark.parametrize(
    ("location", "language", "seen"),
    [
        (
            "Springfield",
            "en",
            "Still want places for methadone near Springfield? Text YES, or tell me what "
            "else you need.",
        ),
        (
            "Springfield",
            "es",
            "Todavia quieres lugares para metadona cerca de Springfield? Escribe SI, o dime "
            "que mas necesitas.",
        ),
        (
            None,
            "es",
            "Todavia quieres lugares para metadona? Escribe tu codigo postal o tu pueblo, o "
            "dime que mas necesitas.",
        ),
    ],
)
def test_a_form_that_lets_go_asks_in_her_language(
    monkeypatch: pytest.MonkeyPatch, location: str | None, language: str, seen: str
) -> None:
    slots = {"need": "moud_methadone", "location": location, "language": language}
    _, dispatcher = run(
        ActionPauseForm(), monkeypatch, text="eres un bot", intent="bot_challenge", slots=slots
    )
    assert what_she_sees(dispatcher, tracker(slots=slots).slots) == [seen]
    assert count_segments(seen) == 1


@pytest.mark.parametrize(
    ("intent", "slots"),
    [
        ("thanks", {}),  # "ok thanks": the search is over, nothing to ask back
        ("deny", {}),  # "nvm"
        ("goodbye", {}),
        ("report_barrier", {"offer": "need", "offered": "transportation"}),  # offered already
    ],
)
def test_a_form_lets_go_quietly_when_her_message_closed_it(
    monkeypatch: pytest.MonkeyPatch, intent: str, slots: dict[str, Any]
) -> None:
    events, dispatcher = run(
        ActionPauseForm(),
        monkeypatch,
        text="ok thanks",
        intent=intent,
        slots={"need": "moud_buprenorphine", **slots},
    )
    assert dispatcher.messages == []
    assert SlotSet("requested_slot", None) in events
    assert not any(e.get("name") == "offer" for e in events)


def test_her_name_any_time(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    events, dispatcher = run(ActionUpdateName(), monkeypatch, fake, text="call me bree")
    assert dispatcher.messages[0]["response"] == "utter_name_noted"
    assert dispatcher.messages[0]["preferred_name"] == "Bree"
    assert SlotSet("preferred_name", "Bree") in events
    assert fake.patches("client-7") == [{"preferred_name": "Bree"}]
    _, dispatcher = run(ActionUpdateName(), monkeypatch, fake, text="what")
    assert responses(dispatcher) == ["utter_name_unclear"]


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("i had my baby yesterday!", "utter_stage_postpartum"),
        ("im 12 weeks", "utter_stage_pregnant"),
        ("sometime", "utter_stage_unclear"),
    ],
)
def test_her_stage_any_time(monkeypatch: pytest.MonkeyPatch, text: str, response: str) -> None:
    _, dispatcher = run(ActionUpdateStage(), monkeypatch, FakeApi(), text=text)
    assert responses(dispatcher) == [response]


@pytest.mark.parametrize("api", ["up", "down"])
def test_a_loss_gets_condolence_and_stops_stage_messages(
    monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    fake = FakeApi() if api == "up" else None
    events, dispatcher = run(
        ActionReportLoss(),
        monkeypatch,
        fake,
        slots={"stage": "pregnant"},
        text="i lost the baby",
        intent="report_loss",
    )
    assert responses(dispatcher) == ["utter_loss_condolence", "utter_loss_support"]
    assert SlotSet("pregnancy_loss", True) in events and SlotSet("stage", None) in events
    if fake is not None:
        assert fake.patches("client-7") == [{"pregnancy_loss": True}]
        assert [s["type"] for s in fake.signals] == ["pregnancy_loss"]


# --- check-ins -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mood"),
    [
        ("feeling pretty good today", 4),
        ("kinda rough day", 2),
        ("im ok", 3),
        ("not great tbh", 2),
        ("really good actually", 5),
        ("meh", 3),
        ("4 out of 5", 4),
        ("im a 2 today", 2),
        ("today was awful", 1),
        ("estoy bien", 4),
        ("purple", None),
    ],
)
def test_her_mood_in_words(text: str, mood: int | None) -> None:
    assert parse_mood(text) == mood


@pytest.mark.parametrize(
    ("text", "response", "offers"),
    [
        ("honestly today sucks, so sad", "utter_checkin_mood_low", True),
        ("im ok", "utter_checkin_mood_ok", False),
        ("doing great!", "utter_checkin_mood_good", False),
    ],
)
def test_a_mood_is_logged_and_answered(
    monkeypatch: pytest.MonkeyPatch, text: str, response: str, offers: bool
) -> None:
    fake = FakeApi()
    events, dispatcher = run(ActionCheckinMood(), monkeypatch, fake, text=text)
    assert responses(dispatcher) == [response]
    assert fake.signals[0]["type"] == "checkin_mood"
    assert (SlotSet("offer", "need") in events) is offers


@pytest.mark.parametrize(
    ("action", "signal", "response", "offered"),
    [
        (ActionCraving(), "craving", "utter_craving_support", "peer_recovery"),
        (ActionReturnToUse(), "return_to_use", "utter_return_to_use", "moud"),
        (ActionAppointmentAttended(), "appointment_attended", "utter_appointment_attended", None),
        (ActionAppointmentMissed(), "appointment_missed", "utter_ask_missed_reason", None),
    ],
)
def test_checkin_replies_log_their_signal(
    monkeypatch: pytest.MonkeyPatch, action: Any, signal: str, response: str, offered: str | None
) -> None:
    fake = FakeApi()
    events, dispatcher = run(action, monkeypatch, fake, text="something she said")
    assert responses(dispatcher) == [response]
    assert [s["type"] for s in fake.signals] == [signal]
    assert (SlotSet("offered", offered) in events) is (offered is not None)
    # And without the API she still gets the same answer.
    _, dispatcher = run(action, monkeypatch, None, text="something she said")
    assert responses(dispatcher) == [response]


def test_nobody_answering_her_call_is_no_missed_appointment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "No, nobody answered when I called" (NLU: report_appointment_missed), her answer to
    the referral follow-up: the place did not call back, not an appointment she missed."""
    fake = FakeApi()
    text = "no nobody answered when i called"
    events, dispatcher = run(ActionAppointmentMissed(), monkeypatch, fake, text=text)
    assert responses(dispatcher) == ["utter_barrier_no_callback"]
    assert [(s["type"], s["value"]) for s in fake.signals] == [("barrier_reported", "no_callback")]
    assert events == [SlotSet("offer", "human"), SlotSet("offered", None)]


@pytest.mark.parametrize(
    ("text", "reason", "response", "offered"),
    [
        ("missed my appt bc i had no ride", "rides", "utter_barrier_transport", "transportation"),
        (
            "no pude ir a la cita porque no tenia quien me cuidara los nenes",
            "childcare",
            "utter_barrier_childcare",
            "childcare",
        ),
        ("i missed the baby's checkup today", None, "utter_ask_missed_reason", None),
    ],
)
def test_a_missed_appointment_with_its_reason_gets_help_with_it(
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    reason: str | None,
    response: str,
    offered: str | None,
) -> None:
    """She said what got in the way: not asked again, the signal carries it, the help offered
    matches it. Naming the baby is not a reason ("the baby's checkup")."""
    fake = FakeApi()
    events, dispatcher = run(ActionAppointmentMissed(), monkeypatch, fake, text=text)
    assert responses(dispatcher) == [response]
    assert [(s["type"], s.get("value")) for s in fake.signals] == [("appointment_missed", reason)]
    assert (SlotSet("offered", offered) in events) is (offered is not None)


@pytest.mark.parametrize(
    ("text", "said", "value"),
    [
        ("30 days today!!", "30 days", "30 days"),
        ("one year sober today", "1 year", "1 year"),
        ("hoy cumplo 6 meses", "6 months", "6 months"),
        ("its my sobriety birthday", "Wow", None),
    ],
)
def test_a_milestone_is_celebrated(
    monkeypatch: pytest.MonkeyPatch, text: str, said: str, value: str | None
) -> None:
    fake = FakeApi()
    _, dispatcher = run(ActionMilestone(), monkeypatch, fake, text=text)
    assert dispatcher.messages[0]["response"] == "utter_milestone"
    assert dispatcher.messages[0]["milestone"].lower() == said.lower()
    assert fake.signals[0]["type"] == "milestone" and fake.signals[0].get("value") == value


ES_MILESTONE = (
    "! Felicidades. Es un logro de verdad, y tu hiciste el trabajo. Cada dia cuenta, y me "
    "alegra mucho estar de tu lado."
)
EN_MILESTONE = (
    "! Congratulations. That's a real milestone, and you did the work. Every day counts, and "
    "I'm proud to be in your corner."
)


@pytest.mark.parametrize(
    ("text", "language", "seen", "value"),
    [
        ("hoy cumplo 6 meses", "es", "\u00a16 meses" + ES_MILESTONE, "6 months"),
        ("30 dias limpia!!", "es", "\u00a130 dias" + ES_MILESTONE, "30 days"),
        ("hoy hace un a\u00f1o", "es", "\u00a11 a\u00f1o" + ES_MILESTONE, "1 year"),
        ("1 semana sin usar", "es", "\u00a11 semana" + ES_MILESTONE, "1 week"),
        ("2 years today", "es", "\u00a12 a\u00f1os" + ES_MILESTONE, "2 years"),
        ("es mi cumpleanos de sobriedad", "es", "\u00a1Que bien" + ES_MILESTONE, None),
        ("30 days today!!", "en", "30 days" + EN_MILESTONE, "30 days"),
        ("hoy cumplo 6 meses", "en", "6 months" + EN_MILESTONE, "6 months"),
        ("its my sobriety birthday", "en", "Wow" + EN_MILESTONE, None),
    ],
)
def test_she_sees_her_milestone_in_her_language(
    monkeypatch: pytest.MonkeyPatch, text: str, language: str, seen: str, value: str | None
) -> None:
    fake = FakeApi()
    slots = {"language": language}
    _, dispatcher = run(ActionMilestone(), monkeypatch, fake, text=text, slots=slots)
    assert what_she_sees(dispatcher, tracker(slots=slots).slots) == [seen]
    assert count_segments(seen) == 1 and is_gsm7(seen)
    # The signal stays in one language (English) whatever hers, for staff and the rules.
    assert fake.signals[0].get("value") == value


# --- needs and barriers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "barrier"),
    [
        ("i dont have a ride", "rides"),
        ("the bus takes 2 hours", "rides"),
        ("its too far", "rides"),
        ("no one to watch my kids", "childcare"),
        ("i cant afford it", "cost"),
        ("the hours dont work with my job", "hours"),
        ("im scared theyll call dcf", "dcf_fear"),
        ("they judge me there", "felt_judged"),
        ("no, they never called me back", "no_callback"),
        ("i called twice and nobody answered", "no_callback"),
        ("i couldnt get through", "no_callback"),
        ("no me devolvieron la llamada, no me llamaron", "no_callback"),
        ("i was sick", "other"),
    ],
)
def test_the_barrier_she_names(text: str, barrier: str) -> None:
    assert barrier_in(text) == barrier


@pytest.mark.parametrize(
    ("text", "slots", "response", "offer", "offered"),
    [
        ("no ride", {}, "utter_barrier_transport", "need", "transportation"),
        ("no babysitter", {}, "utter_barrier_childcare", "need", "childcare"),
        ("scared of dcf", {}, "utter_dcf_facts", "need", "legal_advocacy"),
        ("they judge me", {}, "utter_barrier_judged", "need", "peer_recovery"),
        ("no money", {}, "utter_barrier_cost", "human", None),
        ("hours are bad", SEARCH, "utter_barrier_hours", "filter", "evening_hours"),
        ("they never called me back", {}, "utter_barrier_no_callback", "human", None),
        ("i was sick", {}, "utter_barrier_other", "human", None),
    ],
)
def test_a_barrier_is_logged_and_matching_help_offered(
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    slots: dict[str, Any],
    response: str,
    offer: str,
    offered: str | None,
) -> None:
    fake = FakeApi()
    events, dispatcher = run(ActionHandleBarrier(), monkeypatch, fake, slots=slots, text=text)
    assert responses(dispatcher) == [response]
    assert events == [SlotSet("offer", offer), SlotSet("offered", offered)]
    assert fake.signals[0]["type"] == "barrier_reported"


@pytest.mark.parametrize(
    ("language", "seen"),
    [
        (
            "en",
            "I'm sorry they haven't gotten back to you. That happens a lot, and it's not on you.",
        ),
        ("es", "Siento que no te hayan respondido. Pasa mucho y no es tu culpa."),
    ],
)
def test_no_call_back_after_a_referral_offers_a_person_or_another_place(
    monkeypatch: pytest.MonkeyPatch, language: str, seen: str
) -> None:
    """Her answer to the referral follow-up ("were you able to reach them?"): not her fault,
    a case manager to reach out with her, or another place; logged as that barrier."""
    fake = FakeApi()
    slots = {"language": language, "check_in": "none", "check_in_kind": "referral_follow_up"}
    text = "no, they never called me back" if language == "en" else "no, nunca me llamaron"
    events, dispatcher = run(ActionHandleBarrier(), monkeypatch, fake, slots=slots, text=text)
    (message,) = what_she_sees(dispatcher, tracker(slots=slots).slots)
    assert message.startswith(seen)
    assert re.search(r"case manager|administradora de casos", message)
    assert re.search(r"another place|otro lugar", message)
    assert count_segments(message) <= 2 and is_gsm7(message)
    assert events == [SlotSet("offer", "human"), SlotSet("offered", None)]
    assert (fake.signals[0]["type"], fake.signals[0]["value"]) == (
        "barrier_reported",
        "no_callback",
    )


def test_hours_without_a_search_explain_how_to_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(ActionHandleBarrier(), monkeypatch, FakeApi(), text="hours are bad")
    assert responses(dispatcher) == ["utter_barrier_hours_no_search"] and events == []


@pytest.mark.parametrize(
    ("intent", "response", "value", "offers"),
    [
        ("provider_feedback_negative", "utter_provider_negative", 2, True),
        ("provider_feedback_positive", "utter_provider_positive", 4, False),
    ],
)
def test_provider_feedback(
    monkeypatch: pytest.MonkeyPatch, intent: str, response: str, value: int, offers: bool
) -> None:
    fake = FakeApi()
    events, dispatcher = run(ActionProviderFeedback(), monkeypatch, fake, intent=intent, text="x")
    assert responses(dispatcher) == [response]
    assert fake.signals[0]["type"] == "provider_rating" and fake.signals[0]["value"] == value
    assert (SlotSet("offered", "peer_recovery") in events) is offers


def test_worry_about_dcf(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    events, dispatcher = run(ActionDcfWorry(), monkeypatch, fake, text="will dcf take my baby")
    assert responses(dispatcher) == ["utter_dcf_facts"]
    assert SlotSet("offered", "legal_advocacy") in events


def test_dcf_facts_are_plain_and_promise_nothing(domain: dict[str, Any]) -> None:
    text = domain["responses"]["utter_dcf_facts"][0]["text"]
    assert "not by itself a reason for DCF" in text
    assert "can't promise" in text


# --- a person, consent, offers ---------------------------------------------------------------


def test_a_person_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionRequestHuman(), monkeypatch, fake, text="can i talk to a real person"
    )
    assert responses(dispatcher) == ["utter_human_requested"]
    assert fake.alerts == [
        {
            "client_id": "client-7",
            "kind": "human_requested",
            "detail": "asked by text",
            "message_sid": "SM0123456789abcdef",
        }
    ]
    # The API records the human_requested signal with the alert; the action logs no second.
    assert fake.signals == []
    assert fake.recorded_signals == ["human_requested"]
    assert SlotSet("offer", "none") in events


@pytest.mark.parametrize("fake", [None, FakeApi(alerts_status=500)])
def test_a_person_when_the_api_fails_is_told_honestly(
    monkeypatch: pytest.MonkeyPatch, fake: FakeApi | None
) -> None:
    _, dispatcher = run(ActionRequestHuman(), monkeypatch, fake, text="a person please")
    assert responses(dispatcher) == ["utter_human_request_failed"]


def test_yes_to_an_offered_search_sets_the_need(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(
        ActionAcceptOffer(),
        monkeypatch,
        FakeApi(),
        slots={"offer": "need", "offered": "peer_recovery"},
        text="yes",
    )
    assert events == [
        SlotSet("offer", "none"),
        SlotSet("offered", None),
        SlotSet("need", "peer_recovery"),
    ]
    assert dispatcher.messages == []


def test_yes_to_an_offered_filter_narrows_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(1, features=["evening_hours"])])
    events, dispatcher = run(
        ActionAcceptOffer(),
        monkeypatch,
        fake,
        slots={**SEARCH, "offer": "filter", "offered": "evening_hours"},
        text="yes",
    )
    assert fake.requests[0]["json"]["features"] == ["evening_hours"]
    assert SlotSet("search_features", ["evening_hours"]) in events
    assert texts(dispatcher)[0].endswith("(evening hours):")


# --- crisis ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "category"),
    [
        ("crisis_overdose", "overdose"),
        ("crisis_suicide", "suicide"),
        ("crisis_violence", "violence"),
    ],
)
def test_a_crisis_raises_an_urgent_alert_without_her_words(
    monkeypatch: pytest.MonkeyPatch, intent: str, category: str
) -> None:
    fake = FakeApi()
    words = "he has a knife at 44 Elm St"
    events, dispatcher = run(ActionCrisisAlert(), monkeypatch, fake, text=words, intent=intent)
    assert events == [] and dispatcher.messages == []  # the crisis text was sent before
    assert fake.alerts == [
        {
            "client_id": "client-7",
            "kind": "crisis",
            "detail": category,
            "message_sid": "SM0123456789abcdef",
        }
    ]
    # One crisis, one signal: the API records it with the alert.
    assert fake.signals == []
    assert fake.recorded_signals == ["crisis"]
    assert "Elm" not in str(fake.requests) and "knife" not in str(fake.requests)


def test_a_crisis_alert_never_fails_the_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(
        ActionCrisisAlert(), monkeypatch, None, text="x", intent="crisis_suicide"
    )
    assert events == [] and dispatcher.messages == []


def test_yes_i_am_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    events, _ = run(ActionMarkSafe(), monkeypatch, None, slots={"crisis_active": True})
    assert events == [SlotSet("crisis_active", False)]


# --- the actions and the domain agree --------------------------------------------------------


def test_every_domain_action_is_implemented(domain: dict[str, Any]) -> None:
    implemented = {
        cls().name()
        for module in ACTION_MODULES
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Action) and cls.__module__ == module.__name__
    }
    assert set(domain["actions"]) == implemented


def test_the_actions_only_send_responses_the_domain_has(domain: dict[str, Any]) -> None:
    used: set[str] = set()
    for module in ACTION_MODULES:
        source = Path(module.__file__).read_text(encoding="utf-8")
        used |= set(re.findall(r'response="(utter_\w+)"', source))
    assert used <= set(domain["responses"]), used - set(domain["responses"])


def test_signal_types_are_the_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    # The API's list (services/openapi.yaml), which the services check their own against.
    spec = yaml.safe_load((REPO / "services" / "openapi.yaml").read_text(encoding="utf-8"))
    # And the one the services side of issue 14 adds in parallel (tests/bot/fake_api.py).
    allowed = set(spec["components"]["schemas"]["SignalType"]["enum"]) | PENDING_SIGNALS
    used: set[str] = set()
    for module in ACTION_MODULES:
        source = Path(module.__file__).read_text(encoding="utf-8")
        used |= set(re.findall(r'log_signal\(\s*tracker,\s*"(\w+)"', source))
    assert used and used <= allowed, used - allowed

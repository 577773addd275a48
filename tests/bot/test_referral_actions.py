"""Issue 5's conversation side: referrals with her consent, and issue 3's first-contact intro
and saving her language, on tracker fixtures against the fake services API, which plays the
referral contract (services/openapi.yaml; tests/bot/fake_api.py checks itself against it).

What is checked: what she is sent (the API's consent text word for word, domain responses,
SMS-sized contact details), the slot events that keep the consent pending or clear it, and
what reached the API (the service she picked, her message id as her signature). A consent is
never granted without a pending consent text, during a crisis, or when the API said no.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.choices import number_in
from actions.consent_yes import reads_as_yes
from actions.crisis import ActionCrisisAlert
from actions.language import ValidateSlotMappings
from actions.referral import (
    MAX_SERVICE_CHARS,
    ActionDeclineConsent,
    ActionGrantConsent,
    ActionOfferReferral,
    ActionWithdrawConsent,
    _services_text,
    contact_message,
    service_label,
)
from actions.sms import MAX_CHARS
from sms_text.segments import count_segments, gsm7_length, is_gsm7
from tests.bot.fake_api import FakeApi, details, running, tracker
from tests.bot.what_she_sees import rendered, what_she_sees
from tests.ports import closed_port_url

SID = "SM0123456789abcdef"
SHOWN = {"last_results": ["svc-1|loc-1", "svc-2|loc-2", "svc-3|loc-3"]}
SEARCH = {"need": "moud_buprenorphine", "location": "01105", **SHOWN}


def run(
    action: Any,
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeApi | None = None,
    **tracker_args: Any,
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    tracker_args.setdefault("active_loop", None)
    t = tracker(**tracker_args)

    async def scenario() -> list[dict[str, Any]]:
        if fake is None:
            monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
            return await action.run(dispatcher, t, {})
        async with running(fake, monkeypatch):
            return await action.run(dispatcher, t, {})

    return asyncio.run(scenario()), dispatcher


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def pending(fake: FakeApi, service: int = 2, **slots: Any) -> dict[str, Any]:
    """Slots right after the consent text for place `service` was sent."""
    consent_id = fake.consent("client-7", service)
    return {
        **SEARCH,
        "consent_pending": True,
        "referral_consent": consent_id,
        "referral_service": f"svc-{service}|loc-{service}",
        **slots,
    }


CLEARED = [
    SlotSet("consent_pending", False),
    SlotSet("referral_consent", None),
    SlotSet("referral_service", None),
]


# --- her pick, and the consent text -------------------------------------------------------


def test_her_pick_creates_a_referral_and_relays_the_consent_text_word_for_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionOfferReferral(),
        monkeypatch,
        fake,
        slots=SEARCH,
        text="the first one",
        intent="choose_service",
    )
    (call,) = [r for r in fake.requests if r["path"] == "/api/referrals"]
    assert call["method"] == "POST" and call["authorization"] == "Bearer svc-token-for-tests"
    assert call["json"] == {
        "client_id": "client-7",
        "service_id": "svc-1",
        "need": "moud_buprenorphine",
        "created_by": "bot",
        "language": "en",
        "location_id": "loc-1",  # the place she saw in the list
    }
    assert texts(dispatcher) == fake.consent_parts  # the services side's text, unchanged
    assert responses(dispatcher) == []
    assert events == [
        SlotSet("consent_pending", True),
        SlotSet("referral_consent", "1"),
        SlotSet("referral_service", "svc-1|loc-1"),
        SlotSet("offer", "none"),
        SlotSet("offered", None),
    ]
    assert fake.consents["1"]["status"] == "pending"
    assert fake.referrals["1"]["status"] == "draft"


@pytest.mark.parametrize(
    ("text", "slots", "service"),
    [
        ("the first one", {}, "svc-1"),
        ("#2", {}, "svc-2"),
        ("sign me up for 2", {}, "svc-2"),
        ("can u refer me to the 3rd", {}, "svc-3"),
        ("quiero la 2", {"language": "es"}, "svc-2"),
        ("la ultima", {"language": "es"}, "svc-3"),
        ("number one please", {}, "svc-1"),
        ("i want that one", {"details_shown": 3.0}, "svc-3"),
        ("sign me up", {"last_results": ["", "", "", "svc-4|loc-4"]}, "svc-4"),
    ],
)
def test_the_place_she_means(
    monkeypatch: pytest.MonkeyPatch, text: str, slots: dict[str, Any], service: str
) -> None:
    fake = FakeApi()
    run(ActionOfferReferral(), monkeypatch, fake, slots={**SEARCH, **slots}, text=text)
    (body,) = fake.bodies("/api/referrals")
    assert body["service_id"] == service
    assert body["location_id"] == service.replace("svc", "loc")
    assert body["language"] == slots.get("language", "en")


@pytest.mark.parametrize(
    ("text", "slots", "expected"),
    [
        ("i want that one", SEARCH, "utter_referral_which"),
        ("sign me up for 7", SEARCH, "utter_referral_which"),
        ("the first one", {}, "utter_details_no_list"),
        ("the first one", {**SEARCH, "crisis_active": True}, "utter_ask_safe_first"),
    ],
)
def test_no_referral_without_a_clear_pick_a_list_or_while_a_crisis_is_open(
    monkeypatch: pytest.MonkeyPatch, text: str, slots: dict[str, Any], expected: str
) -> None:
    fake = FakeApi()
    events, dispatcher = run(ActionOfferReferral(), monkeypatch, fake, slots=slots, text=text)
    assert responses(dispatcher) == [expected]
    assert events == [] and fake.requests == []


# A consent without its text is off the API's contract: the bot must not wait on it anyway.
NO_TEXT = FakeApi(consent_parts=[], off_contract=True)


@pytest.mark.parametrize("fake", [None, FakeApi(referral_status=404), NO_TEXT])
def test_no_consent_waits_when_the_text_could_not_be_sent(
    monkeypatch: pytest.MonkeyPatch, fake: FakeApi | None
) -> None:
    events, dispatcher = run(ActionOfferReferral(), monkeypatch, fake, slots=SEARCH, text="#1")
    assert responses(dispatcher) == ["utter_referral_failed"]
    assert events == []


def test_number_in_her_words() -> None:
    assert number_in("i want that one") is None
    assert number_in("the one in springfield") is None
    assert number_in("number one") == 1
    assert number_in("one") == 1
    assert number_in("the first one") == 1
    assert number_in("refer me to the 3rd") == 3


# --- YES ------------------------------------------------------------------------------------


def test_yes_grants_the_consent_with_her_message_id_and_says_what_happens_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    slots = pending(fake, 2)
    events, dispatcher = run(
        ActionGrantConsent(), monkeypatch, fake, slots=slots, text="YES", intent="affirm"
    )
    (call,) = [r for r in fake.requests if r["path"].endswith("/grant")]
    assert call["path"] == "/api/consents/1/grant"
    assert call["json"] == {"message_sid": SID, "client_id": "client-7"}
    assert fake.consents["1"]["status"] == "active"
    assert fake.consents["1"]["message_sid"] == SID
    assert fake.referrals["1"]["status"] == "requested"
    assert dispatcher.messages[0]["response"] == "utter_referral_sent"
    assert dispatcher.messages[0]["service"] == "Demo Recovery Program 2"
    assert events == CLEARED


def test_yes_to_a_do_not_contact_referral_says_only_her_case_manager_reaches_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(do_not_contact=True)
    _, dispatcher = run(ActionGrantConsent(), monkeypatch, fake, slots=pending(fake), text="yes")
    assert responses(dispatcher) == ["utter_referral_sent_private"]


@pytest.mark.parametrize(("do_not_contact", "response"), [
    (True, "utter_referral_sent_private"), (False, "utter_referral_sent"),
])  # fmt: skip
def test_the_api_says_whether_the_provider_may_contact_her(
    monkeypatch: pytest.MonkeyPatch, do_not_contact: bool, response: str
) -> None:
    """The rule (do-not-contact for domestic-violence services) is the services side's: the
    bot follows the referral's `do_not_contact`, whatever the need."""
    fake = FakeApi(do_not_contact=do_not_contact)
    slots = pending(fake, need="ipv_support")
    _, dispatcher = run(ActionGrantConsent(), monkeypatch, fake, slots=slots, text="yes")
    assert responses(dispatcher) == [response]


def test_yes_to_a_consent_no_longer_pending_shares_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    slots = pending(fake)
    fake.consents["1"]["status"] = "withdrawn"
    events, dispatcher = run(ActionGrantConsent(), monkeypatch, fake, slots=slots, text="yes")
    assert responses(dispatcher) == ["utter_referral_closed"]
    assert fake.consents["1"]["status"] == "withdrawn"
    assert events == CLEARED


@pytest.mark.parametrize("fake", [None, FakeApi(grant_status=500)])
def test_a_yes_not_recorded_keeps_the_consent_pending_for_another_yes(
    monkeypatch: pytest.MonkeyPatch, fake: FakeApi | None
) -> None:
    slots = pending(fake or FakeApi())
    events, dispatcher = run(ActionGrantConsent(), monkeypatch, fake, slots=slots, text="yes")
    assert responses(dispatcher) == ["utter_consent_grant_failed"]
    assert events == []


def yes_cases() -> list[tuple[str, bool]]:
    """The cases the services tests check too (one rule on both sides)."""
    lines = (Path(__file__).resolve().parents[1] / "consent_yes_cases.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in lines.splitlines() if line and line[0] != "#"]
    return [(text, signs == "yes") for text, signs in rows]


@pytest.mark.parametrize(("text", "signs"), yes_cases())
def test_only_an_explicit_yes_signs(text: str, signs: bool) -> None:
    assert reads_as_yes(text) is signs


@pytest.mark.parametrize("text", ["i guess so", "that would be great", "yes?", "sure but wait"])
def test_agreement_that_is_not_an_explicit_yes_asks_again_and_grants_nothing(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    fake = FakeApi()
    slots = pending(fake)
    events, dispatcher = run(
        ActionGrantConsent(), monkeypatch, fake, slots=slots, text=text, intent="affirm"
    )
    assert fake.requests == []
    assert fake.consents["1"]["status"] == "pending"
    assert responses(dispatcher) == ["utter_consent_reminder"]
    assert events == [], "the consent text stays open for her YES"


def test_a_yes_the_service_does_not_read_as_one_asks_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(grant_status=422, grant_error="not_a_yes")
    events, dispatcher = run(
        ActionGrantConsent(), monkeypatch, fake, slots=pending(fake), text="yes"
    )
    assert responses(dispatcher) == ["utter_consent_reminder"]
    assert events == []


@pytest.mark.parametrize(
    "extra",
    [
        {"consent_pending": False},  # a crisis, a new need or a question came in between
        {"referral_consent": None},
        {"crisis_active": True},
    ],
)
def test_yes_without_a_pending_consent_text_grants_nothing(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]
) -> None:
    fake = FakeApi()
    slots = {**pending(fake), **extra}
    events, dispatcher = run(ActionGrantConsent(), monkeypatch, fake, slots=slots, text="yes")
    assert fake.requests == []
    assert fake.consents["1"]["status"] == "pending"
    assert responses(dispatcher) == ["utter_ok"]
    assert events == CLEARED


# --- NO -------------------------------------------------------------------------------------


def test_no_declines_and_gives_her_the_contact_details(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    events, dispatcher = run(
        ActionDeclineConsent(),
        monkeypatch,
        fake,
        slots=pending(fake, 2),
        text="no thanks",
        intent="deny",
    )
    (call,) = [r for r in fake.requests if r["path"].endswith("/decline")]
    assert call["path"] == "/api/consents/1/decline"
    assert call["json"] == {"client_id": "client-7"}
    assert fake.consents["1"]["status"] == "declined"
    assert fake.referrals["1"]["status"] == "cancelled"
    assert responses(dispatcher) == ["utter_referral_declined"]
    assert texts(dispatcher) == [
        "Demo Recovery Program 2, 102 Main St, Springfield, MA 01105. Call (413) 555-0102."
    ]
    assert events == CLEARED


def test_no_when_the_decline_fails_still_gives_the_details_from_the_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(decline_status=500)
    _, dispatcher = run(ActionDeclineConsent(), monkeypatch, fake, slots=pending(fake, 3))
    assert responses(dispatcher) == ["utter_referral_declined"]
    assert texts(dispatcher)[0].startswith("Demo Recovery Program 3, 103 Main St")


def test_no_when_the_api_is_down_points_to_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    events, dispatcher = run(ActionDeclineConsent(), monkeypatch, None, slots=pending(FakeApi()))
    assert responses(dispatcher) == ["utter_referral_declined", "utter_referral_contact_in_list"]
    assert events == CLEARED


def test_contact_details_are_sms_sized() -> None:
    long = details(1, name="A" * 200, address="B " * 200)
    message = contact_message(long)
    assert message is not None and is_gsm7(message) and gsm7_length(message) <= MAX_CHARS
    assert contact_message({"name": "Only a name"}) is None
    label = service_label({"name": "Caf\u00e9 \u201cHope\u201d " + "x" * 100})
    assert label.startswith('Caf\u00e9 "Hope"') and is_gsm7(label)
    assert gsm7_length(label) <= MAX_SERVICE_CHARS


# --- in Spanish: the words the actions put into her texts ---------------------------------

ES = {"language": "es"}


def sees(dispatcher: CollectingDispatcher, slots: dict[str, Any]) -> list[str]:
    seen = what_she_sees(dispatcher, tracker(slots=slots).slots)
    assert all(is_gsm7(m) and gsm7_length(m) <= MAX_CHARS for m in seen), seen
    return seen


def test_yes_in_spanish_names_the_place_in_a_spanish_text(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    slots = pending(fake, 2, **ES)
    _, dispatcher = run(ActionGrantConsent(), monkeypatch, fake, slots=slots, text="SI")
    (seen,) = sees(dispatcher, slots)
    assert seen.startswith("\u00a1Gracias! Tu referido a Demo Recovery Program 2 esta hecho. ")
    assert count_segments(seen) == 2


@pytest.mark.parametrize(
    ("language", "start"),
    [
        ("es", "\u00a1Gracias! Tu referido a ese lugar esta hecho. Una administradora"),
        ("en", "Thank you! Your referral to that place is in. A Tandem case manager will"),
    ],
)
def test_a_place_without_a_name_is_named_in_her_language(
    monkeypatch: pytest.MonkeyPatch, language: str, start: str
) -> None:
    fake = FakeApi(details_overrides={"name": "", "organization": ""})
    slots = pending(fake, 2, language=language)
    _, dispatcher = run(ActionGrantConsent(), monkeypatch, fake, slots=slots, text="yes")
    (seen,) = sees(dispatcher, slots)
    assert seen.startswith(start)


def test_no_in_spanish_gives_the_contact_details_in_spanish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    slots = pending(fake, 2, **ES)
    _, dispatcher = run(ActionDeclineConsent(), monkeypatch, fake, slots=slots, text="no")
    assert sees(dispatcher, slots) == [
        "Esta bien, tu decides, y no se compartio nada. Asi puedes contactarlos tu misma, "
        "cuando quieras:",
        "Demo Recovery Program 2, 102 Main St, Springfield, MA 01105. Llama al (413) 555-0102.",
    ]


def test_no_in_spanish_when_the_decline_fails_asks_the_directory_in_spanish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(decline_status=500)
    slots = pending(fake, 3, **ES)
    _, dispatcher = run(ActionDeclineConsent(), monkeypatch, fake, slots=slots, text="no")
    (lookup,) = [r for r in fake.requests if r["path"] == "/api/services/svc-3"]
    assert lookup["query"] == {"location_id": "loc-3", "language": "es"}
    assert sees(dispatcher, slots)[1] == (
        "Demo Recovery Program 3, 103 Main St, Springfield, MA 01105. Llama al (413) 555-0103."
    )


def test_withdrawal_in_spanish_lists_the_places_in_spanish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    fake.consent("client-7", 2, status="active")
    fake.consent("client-7", 3, status="pending")
    _, dispatcher = run(
        ActionWithdrawConsent(),
        monkeypatch,
        fake,
        slots=ES,
        text="no compartan mi informacion",
        intent="withdraw_consent",
    )
    assert sees(dispatcher, ES) == [
        "Listo, desde ahora: retiraste tu permiso para compartir tu informacion con Demo Org 2 "
        "- Demo Recovery Program 2 y Demo Org 3 - Demo Recovery Program 3, y se cancelo el "
        "referido que lo usaba. Todavia puedes pedirme su numero para contactarlos tu misma."
    ]


@pytest.mark.parametrize(
    ("language", "services"),
    [("es", "los lugares a los que dijiste que si"), ("en", "the places you said yes to")],
)
def test_a_withdrawal_that_names_no_place_says_so_in_her_language(
    language: str, services: str
) -> None:
    assert _services_text([], language) == services
    assert _services_text([" ", None], language) == services
    slots = tracker(slots={"language": language}).slots
    seen = rendered("utter_consent_withdrawn", slots, services=services)
    assert services in seen and is_gsm7(seen) and count_segments(seen) <= 2


def test_the_words_around_a_place_in_both_languages() -> None:
    place = details(1)
    assert contact_message(place) == (
        "Demo Recovery Program 1, 101 Main St, Springfield, MA 01105. Call (413) 555-0101."
    )
    assert contact_message(place, "es") == (
        "Demo Recovery Program 1, 101 Main St, Springfield, MA 01105. Llama al (413) 555-0101."
    )
    assert contact_message({**place, "phone": None}, "es") == (
        "Demo Recovery Program 1, 101 Main St, Springfield, MA 01105."
    )
    assert service_label({}, "es") == "ese lugar" and service_label({}) == "that place"
    assert _services_text(["A", "B", "C"], "es") == "A, B y C"
    assert _services_text(["A", "B", "C"]) == "A, B and C"


# --- withdrawal -----------------------------------------------------------------------------


def test_withdrawal_is_immediate_and_says_what_was_withdrawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    fake.consent("client-7", 2, status="active")
    fake.consent("client-7", 3, status="pending")
    fake.consent("someone-else", 1, status="active")
    events, dispatcher = run(
        ActionWithdrawConsent(),
        monkeypatch,
        fake,
        text="dont share my info",
        intent="withdraw_consent",
    )
    (call,) = fake.requests
    assert call["path"] == "/api/clients/client-7/consents/withdraw"
    assert call["json"] == {"message_sid": SID}
    assert [c["status"] for c in fake.consents.values()] == ["withdrawn", "withdrawn", "active"]
    assert [r["status"] for r in fake.referrals.values()] == ["cancelled", "cancelled", "requested"]
    assert dispatcher.messages[0]["response"] == "utter_consent_withdrawn"
    assert dispatcher.messages[0]["services"] == (
        "Demo Org 2 - Demo Recovery Program 2 and Demo Org 3 - Demo Recovery Program 3"
    )
    assert events == CLEARED
    assert fake.signals == []  # the API logs consent_withdrawn, one per consent


def test_withdrawal_with_nothing_shared_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    _, dispatcher = run(ActionWithdrawConsent(), monkeypatch, FakeApi(), text="stop sharing")
    assert responses(dispatcher) == ["utter_consent_nothing_shared"]


@pytest.mark.parametrize("fake", [None, FakeApi(withdraw_status=500)])
def test_withdrawal_not_recorded_is_said_honestly(
    monkeypatch: pytest.MonkeyPatch, fake: FakeApi | None
) -> None:
    _, dispatcher = run(ActionWithdrawConsent(), monkeypatch, fake, text="cancel my referral")
    assert responses(dispatcher) == ["utter_consent_withdraw_failed"]


# --- first contact and her language ---------------------------------------------------------


def first_message(**tracker_args: Any) -> dict[str, Any]:
    """Her first message of a conversation, before she has had the intro."""
    args: dict[str, Any] = {"events_before": [{"event": "session_started"}], **tracker_args}
    args["slots"] = {"introduced": False, **(tracker_args.get("slots") or {})}
    return args


@pytest.mark.parametrize(
    "intent",
    [
        "need_moud",
        "request_referral",
        "report_appointment_missed",
        "inform_stage",
        "nlu_fallback",
        "report_barrier",
        "thanks",
        "ask_privacy",
    ],
)
def test_her_first_message_gets_the_intro_before_its_answer_whatever_it_asks(
    monkeypatch: pytest.MonkeyPatch, intent: str
) -> None:
    events, dispatcher = run(
        ValidateSlotMappings(), monkeypatch, None, **first_message(text="hola", intent=intent)
    )
    assert responses(dispatcher) == ["utter_intro"]
    assert SlotSet("introduced", True) in events


@pytest.mark.parametrize(
    ("intent", "slots", "before"),
    [
        ("greet", {}, []),  # the full welcome is action_greet's
        ("crisis_suicide", {}, []),  # the crisis reply, nothing before it
        ("crisis_check", {}, []),
        ("need_moud", {"introduced": True}, []),  # once
        ("need_moud", {"crisis_active": True}, []),  # not in the middle of a crisis
        # not her first message of this conversation (a crisis first, then this)
        ("need_moud", {}, [{"event": "user", "text": "..."}]),
    ],
)
def test_no_intro_for_a_greeting_a_crisis_or_after_the_first_message(
    monkeypatch: pytest.MonkeyPatch, intent: str, slots: dict[str, Any], before: list[Any]
) -> None:
    args = first_message(text="hi", intent=intent, slots=slots)
    args["events_before"] += before
    events, dispatcher = run(ValidateSlotMappings(), monkeypatch, None, **args)
    assert dispatcher.messages == []
    assert SlotSet("introduced", True) not in events


@pytest.mark.parametrize(
    ("text", "intent", "entities", "place"),
    [
        ("springfeld", "inform_location", [], "springfeld"),
        ("by the mall in holyoke", "nlu_fallback", [], "by the mall in holyoke"),
        ("ok thanks", "thanks", [], None),
        ("nvm", "deny", [], None),
        ("nvm lol", "nlu_fallback", [], None),
        ("can i reschedule my appointment?", "nlu_fallback", [], None),
        ("my partner reads my phone", "ask_privacy", [], None),
        ("i want to die", "crisis_suicide", [], None),
        ("01105", "inform_location", [{"entity": "zip", "value": "01105"}], None),  # entity's
        ("06082", "inform_number", [], "06082"),  # out of state: said so by the form
    ],
)
def test_her_whole_reply_fills_the_place_only_when_it_reads_as_one(
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    intent: str,
    entities: list[dict[str, Any]],
    place: str | None,
) -> None:
    events, _ = run(
        ValidateSlotMappings(),
        monkeypatch,
        None,
        text=text,
        intent=intent,
        entities=entities,
        slots={"requested_slot": "location", "need": "moud"},
        active_loop="find_services_form",
    )
    found = [e["value"] for e in events if e.get("name") == "location"]
    assert found == ([place] if place else [])


def validate(
    monkeypatch: pytest.MonkeyPatch, fake: FakeApi | None, **tracker_args: Any
) -> list[dict[str, Any]]:
    events, dispatcher = run(ValidateSlotMappings(), monkeypatch, fake, **tracker_args)
    assert dispatcher.messages == []
    return events


def test_spanish_is_saved_to_her_profile_once(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ValidateSlotMappings().name() == "action_validate_slot_mappings"
    fake = FakeApi()
    events = validate(
        monkeypatch,
        fake,
        text="necesito ayuda con suboxone",
        intent="need_moud",
        new_slots={"language": "es", "need": "moud"},
    )
    assert fake.patches("client-7") == [{"language": "es"}]
    assert SlotSet("language_saved", "es") in events and SlotSet("language", "es") in events
    # other slots keep their values (the need is the one her intent names: extract_need)
    assert [e["value"] for e in events if e["name"] == "need"] in ([], ["moud"])

    fake = FakeApi()
    validate(
        monkeypatch,
        fake,
        slots={"language_saved": "es"},
        text="gracias",
        new_slots={"language": "es"},
    )
    assert fake.requests == []


@pytest.mark.parametrize(
    ("intent", "language"),
    [("crisis_suicide", "es"), ("need_moud", "en"), ("need_moud", None)],
)
def test_no_profile_call_before_a_crisis_reply_or_for_english(
    monkeypatch: pytest.MonkeyPatch, intent: str, language: str | None
) -> None:
    fake = FakeApi()
    new_slots = {"language": language} if language else {"need": "moud"}
    events = validate(monkeypatch, fake, text="...", intent=intent, new_slots=new_slots)
    assert fake.requests == []
    assert not [e for e in events if e["name"] == "language_saved"]


def test_a_profile_save_that_fails_is_tried_again_later(monkeypatch: pytest.MonkeyPatch) -> None:
    events = validate(
        monkeypatch, FakeApi(clients_status=500), text="hola", new_slots={"language": "es"}
    )
    assert not [e for e in events if e["name"] == "language_saved"]


def test_spanish_crisis_saves_the_language_after_the_crisis_reply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi()
    events, _ = run(
        ActionCrisisAlert(),
        monkeypatch,
        fake,
        slots={"language": "es"},
        text="no quiero vivir",
        intent="crisis_suicide",
    )
    assert fake.patches("client-7") == [{"language": "es"}]
    assert events == [SlotSet("language_saved", "es")]
    assert fake.alerts[0] == {
        "client_id": "client-7",
        "kind": "crisis",
        "detail": "suicide",
        "message_sid": "SM0123456789abcdef",
    }

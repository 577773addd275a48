"""Custom actions on tracker fixtures, against a real local HTTP server playing the services API.

Each test starts an aiohttp app on 127.0.0.1 (port 0) that answers in the API's shapes and
records every request, points TANDEM_API_URL at it, runs the action with a
CollectingDispatcher, and checks the events and the messages she would get.
"""

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.client import ApiError, TandemApi
from actions.find_services import (
    ActionMoreServices,
    ActionSearchServices,
    ValidateFindServicesForm,
)
from actions.result_messages import footer, result_message, search_header
from actions.taxonomy import feature_label, load_taxonomy
from sms_text.segments import count_segments, gsm7_length, is_gsm7
from tests.bot.fake_api import TOKEN, FakeApi, running, service, serving, tracker
from tests.ports import closed_port_url

REPO = Path(__file__).resolve().parents[2]
RESULT = re.compile(r"^(\d+)\) (.+?), ([A-Za-z .'-]+)\. Call (\(\d{3}\) \d{3}-\d{4})\. (.+)$")


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    with (REPO / "domain.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def assert_sms_sized(messages: list[str]) -> None:
    for message in messages:
        assert is_gsm7(message), message
        assert gsm7_length(message) <= 306, message


# --- validate_find_services_form: need ---------------------------------------------------


@pytest.mark.parametrize(
    ("need", "text", "expected"),
    [
        ("moud", "can u help me get on suboxone", "moud_buprenorphine"),
        ("moud", "my bupe doc retired", "moud_buprenorphine"),
        ("moud", "looking to get dosed at a done clinic", "moud_methadone"),
        ("moud", "METHADONE", "moud_methadone"),
        ("moud", "i'd like to try vivitrol", "moud_naltrexone"),
        ("moud", "i want to get on medication", "moud"),
        ("moud", "can i take the subway there", "moud"),  # whole words only
        ("childcare", "daycare pls", "childcare"),
        ("moud_methadone", "switching from subs", "moud_methadone"),
        ("not_a_need", "anything", None),
    ],
)
def test_need_is_narrowed_from_her_words(
    domain: dict[str, Any], need: str, text: str, expected: str | None
) -> None:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(
        ValidateFindServicesForm().run(
            dispatcher, tracker(text=text, intent="need_moud", new_slots={"need": need}), domain
        )
    )
    assert events == [SlotSet("need", expected), SlotSet("next_needs", [])]
    assert dispatcher.messages == []


def test_several_needs_are_seen_together_and_the_urgent_one_goes_first(
    domain: dict[str, Any],
) -> None:
    text = "i need a ride to the clinic and im out of subs tmrw, also daycare for my son"
    dispatcher = CollectingDispatcher()
    form = ValidateFindServicesForm()
    events = asyncio.run(
        form.run(
            dispatcher,
            tracker(text=text, intent="need_transportation", new_slots={"need": "transportation"}),
            domain,
        )
    )
    # Her medication running out cannot wait: what to do today, then every need named once.
    assert events == [
        SlotSet("need", "moud_buprenorphine"),
        SlotSet("next_needs", ["transportation", "childcare"]),
    ]
    today, many = dispatcher.messages
    assert today["text"].startswith("Call your prescriber today")
    assert many["response"] == "utter_many_needs"
    assert many["need_labels"] == "medication for OUD (MOUD), rides and childcare"
    assert many["first_label"] == "medication for OUD (MOUD)"


def test_her_yes_to_the_next_need_keeps_the_rest_to_come(domain: dict[str, Any]) -> None:
    yes = tracker(
        text="yes",
        intent="affirm",
        slots={"next_needs": ["childcare"]},
        new_slots={"need": "transportation"},
    )
    events = asyncio.run(ValidateFindServicesForm().run(CollectingDispatcher(), yes, domain))
    assert events == [SlotSet("need", "transportation"), SlotSet("next_needs", ["childcare"])]


def test_after_the_results_the_next_need_she_named_is_offered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(results=[service(1)])
    slots = {
        "need": "moud_buprenorphine",
        "location": "01105",
        "next_needs": ["transportation", "childcare"],
        "language": "es",
    }
    events, dispatcher = run_action(ActionSearchServices(), slots, fake, monkeypatch)
    offer = dispatcher.messages[-1]
    assert (offer["response"], offer["need_label"]) == ("utter_offer_next_need", "transporte")
    assert events[-3:] == [
        SlotSet("offer", "need"),
        SlotSet("offered", "transportation"),
        SlotSet("next_needs", ["childcare"]),
    ]


# --- validate_find_services_form: location -----------------------------------------------


def test_a_zip_is_resolved_and_kept(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeApi()
    dispatcher = CollectingDispatcher()

    async def scenario() -> list[dict[str, Any]]:
        async with running(fake, monkeypatch):
            t = tracker(
                text="01105",
                entities=[{"entity": "zip", "value": "01105"}],
                slots={"need": "moud_buprenorphine"},
                new_slots={"location": "01105"},
            )
            return await ValidateFindServicesForm().run(dispatcher, t, domain)

    assert asyncio.run(scenario()) == [SlotSet("location", "01105")]
    assert [(r["method"], r["url"], r["json"], r["authorization"]) for r in fake.requests] == [
        ("POST", "/api/places/resolve", {"q": "01105"}, f"Bearer {TOKEN}")
    ]
    assert dispatcher.messages == []


def test_a_town_in_her_reply_becomes_the_town_name(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeApi()
    dispatcher = CollectingDispatcher()
    reply = "over in holyoke by my mom rn"

    async def scenario() -> list[dict[str, Any]]:
        async with running(fake, monkeypatch):
            t = tracker(
                text=reply,
                entities=[{"entity": "town", "value": "holyoke"}],
                slots={"need": "housing"},
                new_slots={"location": reply},  # from_text: her whole reply
            )
            return await ValidateFindServicesForm().run(dispatcher, t, domain)

    assert asyncio.run(scenario()) == [SlotSet("location", "Holyoke")]
    assert fake.requests[0]["json"] == {"q": "holyoke"}


def test_a_place_in_words_around_it_is_cleaned_before_resolving(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeApi()
    reply = "i'm living in Springfield, MA"

    async def scenario() -> list[dict[str, Any]]:
        async with running(fake, monkeypatch):
            t = tracker(text=reply, intent="nlu_fallback", new_slots={"location": reply})
            return await ValidateFindServicesForm().run(CollectingDispatcher(), t, domain)

    assert asyncio.run(scenario()) == [SlotSet("location", "Springfield")]
    assert fake.requests[0]["json"] == {"q": "springfield"}


def test_an_unknown_place_asks_again(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeApi()
    dispatcher = CollectingDispatcher()

    async def scenario() -> list[dict[str, Any]]:
        async with running(fake, monkeypatch):
            t = tracker(text="narnia", intent="out_of_scope", new_slots={"location": "narnia"})
            return await ValidateFindServicesForm().run(dispatcher, t, domain)

    assert asyncio.run(scenario()) == [SlotSet("location", None)]
    assert responses(dispatcher) == ["utter_location_not_found"]


def test_location_is_kept_as_she_said_it_when_the_api_is_down(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
    dispatcher = CollectingDispatcher()
    t = tracker(
        text="01040",
        entities=[{"entity": "zip", "value": "01040"}],
        new_slots={"location": "01040"},
    )
    events = asyncio.run(ValidateFindServicesForm().run(dispatcher, t, domain))
    assert events == [SlotSet("location", "01040")]
    assert dispatcher.messages == []


def test_the_form_validates_prefilled_need_and_place_together(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "need subs in 01105": both slots arrive at once when the form opens."""
    fake = FakeApi()
    text = "got any sub doctors around 01105"

    async def scenario() -> list[dict[str, Any]]:
        async with running(fake, monkeypatch):
            t = tracker(
                text=text,
                intent="need_moud",
                entities=[{"entity": "zip", "value": "01105"}],
                new_slots={"need": "moud", "location": "01105"},
            )
            return await ValidateFindServicesForm().run(CollectingDispatcher(), t, domain)

    events = asyncio.run(scenario())
    assert SlotSet("need", "moud_buprenorphine") in events
    assert SlotSet("location", "01105") in events


# --- action_search_services / action_more_services ---------------------------------------


def run_action(
    action: Any, slots: dict[str, Any], fake: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()

    async def scenario() -> list[dict[str, Any]]:
        async with running(fake, monkeypatch):
            return await action.run(dispatcher, tracker(slots=slots, intent="ask_more"), {})

    return asyncio.run(scenario()), dispatcher


def test_search_sends_a_header_one_message_per_result_and_a_footer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(results=[service(i) for i in range(1, 8)])
    slots = {"need": "moud_buprenorphine", "location": "01105", "search_offset": 6.0}
    events, dispatcher = run_action(ActionSearchServices(), slots, fake, monkeypatch)

    assert events == [
        SlotSet("search_offset", 0.0),
        SlotSet("search_features", []),
        SlotSet("last_results", ["svc-1|loc-1", "svc-2|loc-2", "svc-3|loc-3"]),
        SlotSet("details_shown", None),
    ]
    sent = texts(dispatcher)
    assert sent[0] == "Here are places near Springfield for buprenorphine (Suboxone):"
    assert [RESULT.match(m).group(1) for m in sent[1:4]] == ["1", "2", "3"]  # type: ignore[union-attr]
    assert sent[1] == (
        "1) Demo Recovery Program 1, Springfield. Call (413) 555-0101. "
        "0.5 mi away; takes MassHealth"
    )
    assert sent[4] == (
        "Text MORE for more, or tell me another kind of help. "
        "Want one of them to reach out to you? Text its number."
    )
    assert len(sent) == 5
    assert_sms_sized(sent)
    search, signal = fake.requests
    assert (search["method"], search["url"], search["authorization"]) == (
        "POST",
        "/api/services/search",
        f"Bearer {TOKEN}",
    )
    assert search["json"] == {
        "need": "moud_buprenorphine",
        "near": "01105",
        "limit": 3,
        "offset": 0,
        "language": "en",
    }
    # Her need is logged as an engagement signal, tied to her message.
    assert signal["json"] == {
        "client_id": "client-7",
        "type": "need_expressed",
        "value": "moud_buprenorphine",
        "source": "bot",
        "message_sid": "SM0123456789abcdef",
    }
    assert signal["authorization"] == f"Bearer {TOKEN}"


def test_more_pages_count_on_from_the_last_page(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(i) for i in range(1, 8)])
    slots = {"need": "moud_buprenorphine", "location": "01105"}

    shown = {"last_results": ["svc-1|loc-1", "svc-2|loc-2", "svc-3|loc-3"]}
    events, dispatcher = run_action(
        ActionMoreServices(), {**slots, **shown, "search_offset": 0.0}, fake, monkeypatch
    )
    sent = texts(dispatcher)
    assert events == [
        SlotSet("search_offset", 3.0),
        SlotSet("last_results", [f"svc-{i}|loc-{i}" for i in range(1, 7)]),
    ]
    assert [RESULT.match(m).group(1) for m in sent[1:4]] == ["4", "5", "6"]  # type: ignore[union-attr]
    assert "MORE" in sent[-1]
    assert fake.requests[-1]["json"]["offset"] == 3

    events, dispatcher = run_action(
        ActionMoreServices(), {**slots, "search_offset": 3.0}, fake, monkeypatch
    )
    sent = texts(dispatcher)
    # "#7" stays the seventh place even if the slot lost the earlier pages.
    assert events == [
        SlotSet("search_offset", 6.0),
        SlotSet("last_results", ["", "", "", "", "", "", "svc-7|loc-7"]),
    ]
    assert len(sent) == 3 and sent[1].startswith("7) ")
    assert "MORE" not in sent[-1]  # nothing left to show
    assert fake.requests[-1]["json"]["offset"] == 6

    events, dispatcher = run_action(
        ActionMoreServices(), {**slots, "search_offset": 6.0}, fake, monkeypatch
    )
    assert events == []  # the offset stays on the last page she saw
    assert responses(dispatcher) == ["utter_no_more_services"]
    assert texts(dispatcher) == []


def test_more_pages_when_the_api_total_is_not_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in a dense area: the API counts only the page and one more, and says if more follow.
    fake = FakeApi(results=[service(i) for i in range(1, 8)], total_exact=False)
    slots = {"need": "moud_buprenorphine", "location": "01105"}
    _, first = run_action(ActionSearchServices(), slots, fake, monkeypatch)
    _, second = run_action(ActionMoreServices(), {**slots, "search_offset": 0.0}, fake, monkeypatch)
    _, last = run_action(ActionMoreServices(), {**slots, "search_offset": 3.0}, fake, monkeypatch)
    assert [texts(d)[1][:3] for d in (first, second, last)] == ["1) ", "4) ", "7) "]
    assert ["MORE" in texts(d)[-1] for d in (first, second, last)] == [True, True, False]


def test_she_writes_in_spanish_and_gets_the_list_in_spanish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(results=[service(i) for i in range(1, 5)])
    slots = {"need": "moud_buprenorphine", "location": "01105", "language": "es"}
    events, dispatcher = run_action(ActionSearchServices(), slots, fake, monkeypatch)

    assert SlotSet("last_results", ["svc-1|loc-1", "svc-2|loc-2", "svc-3|loc-3"]) in events
    sent = texts(dispatcher)
    assert sent == [
        "Estos son lugares cerca de Springfield para buprenorfina (Suboxone):",
        "1) Demo Recovery Program 1, Springfield. Llama al (413) 555-0101. "
        "a 0.5 millas; acepta MassHealth",
        "2) Demo Recovery Program 2, Springfield. Llama al (413) 555-0102. "
        "a 1.0 millas; acepta MassHealth",
        "3) Demo Recovery Program 3, Springfield. Llama al (413) 555-0103. "
        "a 1.5 millas; acepta MassHealth",
        "Escribe MAS para ver mas, o dime otro tipo de ayuda. "
        "¿Quieres que uno de ellos te contacte? Escribe su numero.",
    ]
    assert_sms_sized(sent)
    assert all(count_segments(m) == 1 for m in sent)
    assert fake.bodies("/api/services/search")[0]["language"] == "es"

    # MORE ("mas"): the next page, and the last footer, in Spanish too.
    events, dispatcher = run_action(
        ActionMoreServices(), {**slots, "search_offset": 0.0}, fake, monkeypatch
    )
    sent = texts(dispatcher)
    assert sent == [
        "Estos son lugares cerca de Springfield para buprenorfina (Suboxone):",
        "4) Demo Recovery Program 4, Springfield. Llama al (413) 555-0104. "
        "a 2.0 millas; acepta MassHealth",
        "Dime otro tipo de ayuda, u otro pueblo. "
        "¿Quieres que uno de ellos te contacte? Escribe su numero.",
    ]
    assert fake.bodies("/api/services/search")[1] == {
        "need": "moud_buprenorphine",
        "near": "01105",
        "limit": 3,
        "offset": 3,
        "language": "es",
    }


def test_no_language_or_english_keeps_the_list_in_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(results=[service(1)])
    for language in (None, "en"):
        slots = {"need": "moud_buprenorphine", "location": "01105", "language": language}
        _, dispatcher = run_action(ActionSearchServices(), slots, fake, monkeypatch)
        assert texts(dispatcher) == [
            "Here are places near Springfield for buprenorphine (Suboxone):",
            "1) Demo Recovery Program 1, Springfield. Call (413) 555-0101. "
            "0.5 mi away; takes MassHealth",
            "Tell me another kind of help, or another town. "
            "Want one of them to reach out to you? Text its number.",
        ]
    assert [b["language"] for b in fake.bodies("/api/services/search")] == ["en", "en"]


def test_no_results_is_said_kindly(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[])
    events, dispatcher = run_action(
        ActionSearchServices(), {"need": "housing", "location": "holyoke"}, fake, monkeypatch
    )
    assert events == [
        SlotSet("search_offset", 0.0),
        SlotSet("search_features", []),
        SlotSet("last_results", []),
        SlotSet("details_shown", None),
    ]
    assert responses(dispatcher) == ["utter_no_services_found"]
    assert texts(dispatcher) == []


@pytest.mark.parametrize("status", [500, 503, 401])
def test_an_api_error_gives_the_helpline_instead(
    monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    fake = FakeApi(services_status=status, services_error="internal")
    _, dispatcher = run_action(
        ActionSearchServices(), {"need": "childcare", "location": "01105"}, fake, monkeypatch
    )
    assert responses(dispatcher) == ["utter_search_unavailable"]


def test_an_unreachable_api_gives_the_helpline_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
    dispatcher = CollectingDispatcher()
    t = tracker(slots={"need": "childcare", "location": "01105", "search_offset": 3.0})
    events = asyncio.run(ActionMoreServices().run(dispatcher, t, {}))
    assert events == []
    assert responses(dispatcher) == ["utter_search_unavailable"]


def test_a_place_the_search_does_not_know_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(1)])
    events, dispatcher = run_action(
        ActionSearchServices(), {"need": "childcare", "location": "Atlantis"}, fake, monkeypatch
    )
    assert SlotSet("location", None) in events
    assert responses(dispatcher) == ["utter_location_not_found"]


def test_long_or_fancy_fields_still_fit_two_gsm7_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    fancy = service(
        1,
        name="Centro de Recuperaci\u00f3n \u201cNuevo Camino\u201d \u2013 " + "Programa " * 30,
        why="se habla espa\u00f1ol \U0001f49c; " + "childcare on site; " * 30,
    )
    fake = FakeApi(
        results=[fancy, service(2, phone="", why="")], label="m\u00e9thadone \u2013 daily"
    )
    _, dispatcher = run_action(
        ActionSearchServices(), {"need": "moud_methadone", "location": "01105"}, fake, monkeypatch
    )
    sent = texts(dispatcher)
    assert_sms_sized(sent)
    assert sent[1].startswith('1) Centro de Recuperacion "Nuevo Camino" - Programa')
    assert "Call (413) 555-0101." in sent[1]
    assert sent[2] == "2) Demo Recovery Program 2, Springfield."


def test_long_fields_in_spanish_still_fit_two_gsm7_segments() -> None:
    every = list(load_taxonomy()["features"])
    header = search_header("Springfield", "cuidado para tu beb\u00e9", every, "es")
    assert header.startswith("Estos son lugares cerca de Springfield para cuidado para tu beb")
    fancy = service(
        1,
        name="Centro de Recuperaci\u00f3n \u201cNuevo Camino\u201d \u2013 " + "Programa " * 30,
        why="a 1.0 millas; " + "cuidado de ni\u00f1os en el lugar; " * 30,
    )
    sent = [header, result_message(1, fancy, "es"), footer(True, "es"), footer(False, "es")]
    assert_sms_sized(sent)
    assert "Llama al (413) 555-0101." in sent[1]
    assert not set("\u00e1\u00ed\u00f3\u00fa") & set("".join(sent))  # no accented a/i/o/u
    assert result_message(2, service(2, name="", phone="", why=""), "es") == (
        "2) Un servicio, Springfield."
    )


def test_the_bot_reads_each_feature_label_in_both_languages() -> None:
    with (REPO / "data" / "taxonomy.yml").open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)["features"]
    for key, spec in raw.items():
        assert feature_label(key) == spec["label"]
        assert feature_label(key, "es") == spec["label_es"]
    assert feature_label("masshealth", "es") == "acepta MassHealth"
    assert feature_label("hot_tub", "es") == "hot tub"


@pytest.mark.parametrize(
    ("features", "english", "spanish"),
    [
        ([], "", ""),
        (["masshealth"], " (takes MassHealth)", " (acepta MassHealth)"),
        (
            ["childcare_onsite", "walk_in"],
            " (childcare on site, walk-ins welcome)",
            " (cuidado de ni\u00f1os en el lugar, atiende sin cita)",
        ),
    ],
)
def test_the_header_names_the_features_in_her_language(
    features: list[str], english: str, spanish: str
) -> None:
    assert search_header("Holyoke", "childcare", features) == (
        f"Here are places near Holyoke for childcare{english}:"
    )
    assert search_header("Holyoke", "cuidado de ni\u00f1os", features, "es") == (
        f"Estos son lugares cerca de Holyoke para cuidado de ni\u00f1os{spanish}:"
    )


def test_more_before_a_need_asks_for_one(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(1)])
    events, dispatcher = run_action(ActionMoreServices(), {"location": "01105"}, fake, monkeypatch)
    assert events == []
    assert responses(dispatcher) == ["utter_ask_need"]
    assert fake.requests == []


def test_more_before_a_place_opens_the_form_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(results=[service(1)])
    events, dispatcher = run_action(ActionMoreServices(), {"need": "housing"}, fake, monkeypatch)
    assert events == [FollowupAction("find_services_form")]
    assert fake.requests == []


# --- the API client ----------------------------------------------------------------------


def test_the_client_times_out_with_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> ApiError:
        # The API answers only when the test lets it: after the client has given up.
        answer = asyncio.Event()

        async def slow(request: web.Request) -> web.Response:
            await answer.wait()
            return web.json_response({})

        app = web.Application()
        app.router.add_post("/api/places/resolve", slow)
        async with serving(app) as url:
            try:
                with pytest.raises(ApiError) as caught:
                    await TandemApi(url, TOKEN, timeout_s=0.2).resolve_place("x")
                return caught.value
            finally:
                answer.set()

    error = asyncio.run(scenario())
    assert error.status is None and error.code == "unreachable"


def test_neither_the_token_nor_her_words_reach_the_logs(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeApi(services_status=500, services_error="internal")
    words = "my secret street in narnia"

    async def scenario() -> None:
        async with running(fake, monkeypatch):
            t = tracker(text=words, intent="nlu_fallback", new_slots={"location": words})
            await ValidateFindServicesForm().run(CollectingDispatcher(), t, domain)
            t = tracker(slots={"need": "housing", "location": "01105"})
            await ActionSearchServices().run(CollectingDispatcher(), t, domain)

    asyncio.run(scenario())
    assert caplog.records, "the failures were logged"
    logged = caplog.text + repr(TandemApi())
    assert TOKEN not in logged
    assert "narnia" not in logged and "01105" not in logged


# --- the responses the actions send ------------------------------------------------------


def test_every_response_fits_two_gsm7_segments(domain: dict[str, Any]) -> None:
    for name, variants in domain["responses"].items():
        for variant in variants:
            assert is_gsm7(variant["text"]), name
            assert gsm7_length(variant["text"]) <= 306, name


def test_the_actions_only_send_responses_the_domain_has(domain: dict[str, Any]) -> None:
    # The search, its details and a bare number after it (once all in find_services.py).
    modules = ("find_services.py", "service_details.py", "bare_number.py")
    source = "".join((REPO / "actions" / m).read_text(encoding="utf-8") for m in modules)
    used = set(re.findall(r'response="(utter_\w+)"', source))
    assert used, "the actions send domain responses"
    assert used <= set(domain["responses"]), used - set(domain["responses"])


def test_a_place_in_another_state_is_not_searched_as_near(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeApi()
    fake.places["06082"] = {
        "zip": "06082",
        "town": "Enfield",
        "state": "CT",
        "lat": 41.98,
        "lon": -72.56,
    }
    dispatcher = CollectingDispatcher()

    async def scenario() -> list[dict[str, Any]]:
        async with running(fake, monkeypatch):
            t = tracker(
                text="06082",
                slots={"need": "moud_buprenorphine"},
                new_slots={"location": "06082"},
            )
            return await ValidateFindServicesForm().run(dispatcher, t, domain)

    assert asyncio.run(scenario()) == [SlotSet("location", None)]
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_area"]
    assert not [r for r in fake.requests if r["url"].startswith("/api/services")]

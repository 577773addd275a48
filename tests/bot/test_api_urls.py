"""Her words never travel in a URL (issue 11: "actions send her words in request bodies, not
query strings"). URLs end up in access logs, proxy logs and tracebacks; request bodies do not.

Every action that calls the services API runs here on a text full of her words (a name, an
ex-partner's name, a street, a town, a phone number), against the fake API, which records the
exact path and query string of each call. No call may carry any of those words in its URL,
and a query string may hold only the ids and the language code in URL_PARAMS. The client
itself refuses anything else, and every one of its calls is checked the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.api.client import URL_PARAMS, ApiError, TandemApi
from actions.checkin import ActionCheckinMood, ActionCraving
from actions.crisis import ActionCrisisAlert
from actions.find_services import (
    ActionFilterServices,
    ActionMoreServices,
    ActionSearchServices,
    ValidateFindServicesForm,
)
from actions.onboarding import ActionProfileAnswer, ActionReportLoss, ActionUpdateName
from actions.referral import (
    ActionDeclineConsent,
    ActionGrantConsent,
    ActionOfferReferral,
    ActionWithdrawConsent,
)
from actions.service_details import ActionServiceDetails
from actions.support import ActionHandleBarrier, ActionRequestHuman
from tests.bot.fake_api import HOLYOKE, TOKEN, FakeApi, running, service, tracker

REPO = Path(__file__).resolve().parents[2]

# Her words, and the pieces of them that must never be in a URL (lowercase, decoded).
PLACE = "darnells place on 12 elm st holyoke"
WORDS = f"call me Rosalind. im at {PLACE}, text me at +1 (413) 555-0199"
SECRETS = ("rosalind", "darnell", "elm st", "holyoke", "555", "0199", "413")
SHOWN = {"last_results": ["svc-1|loc-1", "svc-2|loc-2", "svc-3|loc-3"]}
SEARCH = {"need": "moud_buprenorphine", "location": PLACE, **SHOWN}


def url_problems(requests: list[dict[str, Any]]) -> list[str]:
    """What is wrong with the URLs of these recorded calls: her words, or a query parameter
    that is not an id."""
    problems = []
    for r in requests:
        url = r["url"]
        decoded = unquote(unquote(url)).replace("+", " ").lower()
        problems += [f"{url} holds {s!r}" for s in SECRETS if s in decoded]
        keys = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
        problems += [f"{url} has query parameter {k!r}" for k in keys - URL_PARAMS]
    return problems


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    with (REPO / "domain.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def fake_api() -> FakeApi:
    fake = FakeApi(results=[service(i) for i in range(1, 8)])
    fake.places[PLACE] = HOLYOKE  # her place resolves, so each flow goes all the way
    return fake


def pending(fake: FakeApi) -> dict[str, Any]:
    consent_id = fake.consent("client-7", 2)
    return {
        **SEARCH,
        "consent_pending": True,
        "referral_consent": consent_id,
        "referral_service": "svc-2|loc-2",
    }


# (action, tracker arguments given the fake, whether it needs the domain, paths it must call)
Case = tuple[Any, Callable[[FakeApi], dict[str, Any]], bool, set[str]]
CASES: dict[str, Case] = {
    "location slot": (
        ValidateFindServicesForm(),
        lambda _: {
            "text": WORDS,
            "slots": {"need": "moud_buprenorphine"},
            "new_slots": {"location": WORDS},
        },
        True,
        {"/api/places/resolve"},
    ),
    "search": (
        ActionSearchServices(),
        lambda _: {"text": WORDS, "slots": {"need": "moud_buprenorphine", "location": PLACE}},
        False,
        {"/api/services/search", "/api/signals"},
    ),
    "more": (
        ActionMoreServices(),
        lambda _: {"text": "more", "slots": {**SEARCH, "search_offset": 0.0}},
        False,
        {"/api/services/search"},
    ),
    "filter": (
        ActionFilterServices(),
        lambda _: {
            "text": f"one that takes masshealth, {WORDS}",
            "intent": "filter_results",
            "slots": SEARCH,
        },
        False,
        {"/api/services/search"},
    ),
    "details": (
        ActionServiceDetails(),
        lambda _: {"text": "tell me about #2", "intent": "ask_service_details", "slots": SEARCH},
        False,
        {"/api/services/svc-2"},
    ),
    "details in Spanish": (
        ActionServiceDetails(),
        lambda _: {
            "text": "dime mas de la 2",
            "intent": "ask_service_details",
            "slots": {**SEARCH, "language": "es"},
        },
        False,
        {"/api/services/svc-2"},
    ),
    "name": (
        ActionUpdateName(),
        lambda _: {"text": "call me Rosalind"},
        False,
        {"/api/clients/client-7"},
    ),
    "name as an answer": (
        ActionProfileAnswer(),
        lambda _: {
            "text": "call me Rosalind",
            "intent": "inform_name",
            "slots": {"profile_question": "name", "profile_asked": ["name"]},
            "active_loop": None,
        },
        False,
        {"/api/clients/client-7"},
    ),
    "loss": (
        ActionReportLoss(),
        lambda _: {"text": f"i lost the baby. {WORDS}", "intent": "report_loss"},
        False,
        {"/api/clients/client-7", "/api/signals"},
    ),
    "referral": (
        ActionOfferReferral(),
        lambda _: {
            "text": "the first one",
            "intent": "choose_service",
            "slots": SEARCH,
            "active_loop": None,
        },
        False,
        {"/api/referrals"},
    ),
    "consent yes": (
        ActionGrantConsent(),
        lambda fake: {"text": "YES", "intent": "affirm", "slots": pending(fake)},
        False,
        {"/api/consents/1/grant"},
    ),
    "consent no": (
        ActionDeclineConsent(),
        lambda fake: {"text": "no", "intent": "deny", "slots": pending(fake)},
        False,
        {"/api/consents/1/decline"},
    ),
    "withdraw": (
        ActionWithdrawConsent(),
        lambda _: {"text": f"dont share my info. {WORDS}", "intent": "withdraw_consent"},
        False,
        {"/api/clients/client-7/consents/withdraw"},
    ),
    "crisis": (
        ActionCrisisAlert(),
        lambda _: {"text": f"he has a knife. {WORDS}", "intent": "crisis_violence"},
        False,
        {"/api/alerts"},
    ),
    "barrier": (
        ActionHandleBarrier(),
        lambda _: {"text": f"no babysitter. {WORDS}"},
        False,
        {"/api/signals"},
    ),
    "person": (
        ActionRequestHuman(),
        lambda _: {"text": f"a real person please. {WORDS}"},
        False,
        {"/api/alerts"},
    ),
    "mood": (ActionCheckinMood(), lambda _: {"text": f"3. {WORDS}"}, False, {"/api/signals"}),
    "craving": (ActionCraving(), lambda _: {"text": WORDS}, False, {"/api/signals"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_action_puts_her_words_in_a_url(
    case: str, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    action, tracker_args, needs_domain, expected_paths = CASES[case]
    fake = fake_api()
    t = tracker(**tracker_args(fake))

    async def scenario() -> None:
        async with running(fake, monkeypatch):
            await action.run(CollectingDispatcher(), t, domain if needs_domain else {})

    asyncio.run(scenario())
    called = {r["path"] for r in fake.requests}
    assert expected_paths <= called, f"the action did not make its calls: {called}"
    assert url_problems(fake.requests) == []


def test_the_check_would_catch_her_words_in_a_url() -> None:
    leaky = [
        {"url": "/api/places/resolve?q=12+Elm+St"},
        {"url": "/api/services?near=holyoke&need=moud"},
        {"url": "/api/clients/%2B14135550199"},
        {"url": "/api/services/svc-1?location_id=loc-1&page=2"},
    ]
    problems = url_problems(leaky)
    assert any("'elm st'" in p for p in problems)
    assert any("'holyoke'" in p for p in problems) and any("'near'" in p for p in problems)
    assert any("'0199'" in p for p in problems)
    assert any("'page'" in p for p in problems)
    assert url_problems([{"url": "/api/services/svc-1?location_id=loc-1"}]) == []


def test_every_client_call_keeps_her_words_in_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each TandemApi call with her words in every argument that is not an id."""
    fake = fake_api()
    consent = fake.consent("client-7", 2)
    other = fake.consent("client-7", 3)

    async def scenario() -> None:
        async with running(fake, monkeypatch):
            api = TandemApi()
            calls = [
                api.resolve_place(WORDS),
                api.resolve_place(PLACE),
                api.search_services("moud_buprenorphine", PLACE, 3, 0, ["masshealth"]),
                api.search_services("moud_buprenorphine", WORDS),
                api.service_details("svc-2", "loc-2"),
                api.service_details("svc-2", "loc-2", "es"),
                api.service_details("svc-2", "loc-2", WORDS),  # not a language: sent as "en"
                api.post_signal("client-7", "barrier_reported", WORDS, "SM0123456789abcdef"),
                api.create_alert("client-7", "human_requested", WORDS),
                api.update_client("client-7", preferred_name="Rosalind"),
                api.create_referral("client-7", "svc-2", "moud_buprenorphine", "en", "loc-2"),
                api.grant_consent(consent, "client-7", "SM0123456789abcdef"),
                api.decline_consent(other, "client-7"),
                api.withdraw_consents("client-7", "SM0123456789abcdef"),
            ]
            for call in calls:
                try:
                    await call
                except ApiError:
                    pass  # an answer the fake refuses still went out, and is checked

    asyncio.run(scenario())
    assert len(fake.requests) == 14
    details = [r["url"] for r in fake.requests if r["path"] == "/api/services/svc-2"]
    assert details == [
        f"/api/services/svc-2?location_id=loc-2&language={language}"
        for language in ("en", "es", "en")
    ]
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in fake.requests)
    assert url_problems(fake.requests) == []
    # Her words did reach the API, in the bodies.
    bodies = " ".join(str(r["json"]) for r in fake.requests).lower()
    assert "darnell" in bodies and "rosalind" in bodies


@pytest.mark.parametrize(
    "params", [{"q": "holyoke"}, {"near": "01105"}, {"location_id": 1, "x": 2}]
)
def test_the_client_refuses_a_query_parameter_that_is_not_an_id(
    params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_api()

    async def scenario() -> None:
        async with running(fake, monkeypatch):
            with pytest.raises(ValueError, match="body"):
                await TandemApi().get_json("/api/places/resolve", params)

    asyncio.run(scenario())
    assert fake.requests == [], "nothing was sent"

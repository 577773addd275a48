"""Rasa's calls to the action server (bot/action_calls.py) and the actions' calls to the API
(actions/api/client.py): connections are kept, and the action server gets only the part of
the domain it reads, with which every validation answers as it did with the whole domain."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import CollectingDispatcher

from actions.api import client
from actions.api.client import TandemApi
from actions.find_services import ValidateFindServicesForm
from actions.language import ValidateSlotMappings
from bot import action_calls
from tests.bot.fake_api import FakeApi, running, serving, tracker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(REPO / "domain.yml")


@pytest.fixture(scope="module")
def sent_domain(domain: Domain) -> dict[str, Any]:
    """The domain as the action server now receives it."""
    action = RemoteAction("validate_find_services_form", EndpointConfig("http://127.0.0.1:9"))
    her = DialogueStateTracker.from_events("her", [UserUttered("01105")], domain.slots)
    call = action_calls.action_call_format(action, her, domain)
    return json.loads(json.dumps(call["domain"]))  # as it travels


def test_the_action_server_gets_the_slots_and_forms_only(
    domain: Domain, sent_domain: dict[str, Any]
) -> None:
    whole = json.loads(json.dumps(domain.as_dict()))
    assert set(sent_domain) == {"slots", "forms"}
    assert sent_domain == {"slots": whole["slots"], "forms": whole["forms"]}
    assert len(json.dumps(sent_domain)) < len(json.dumps(whole)) / 5


def test_the_rest_of_the_call_is_rasas(domain: Domain) -> None:
    action = RemoteAction("action_search_services", EndpointConfig("http://127.0.0.1:9"))
    her = DialogueStateTracker.from_events("her", [UserUttered("hi")], domain.slots)
    call = action_calls.action_call_format(action, her, domain)
    rasa = action_calls._rasa_call_format(action, her, domain)
    assert {k: v for k, v in call.items() if k != "domain"} == {
        k: v for k, v in rasa.items() if k != "domain"
    }


# Her messages to the form, as the form validation gets them: (tracker arguments).
FORM_TURNS = [
    {"text": "can u help me get on suboxone", "intent": "need_moud", "new_slots": {"need": "moud"}},
    {
        "text": "i need a ride to the clinic and im out of subs tmrw, also daycare for my son",
        "intent": "need_transportation",
        "new_slots": {"need": "transportation"},
    },
    {
        "text": "01105",
        "entities": [{"entity": "zip", "value": "01105"}],
        "slots": {"need": "moud_buprenorphine"},
        "new_slots": {"location": "01105"},
    },
    {
        "text": "over in holyoke by my mom rn",
        "entities": [{"entity": "town", "value": "holyoke"}],
        "slots": {"need": "housing"},
        "new_slots": {"location": "over in holyoke by my mom rn"},
    },
    {
        "text": "i'm living in Springfield, MA",
        "intent": "nlu_fallback",
        "new_slots": {"location": "i'm living in Springfield, MA"},
    },
]


async def _answer(
    action: Any, turn: dict[str, Any], domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[Any], list[Any]]:
    dispatcher = CollectingDispatcher()
    async with running(FakeApi(), monkeypatch):
        # A tracker of her own each time: a validation adds its slots to the one it reads.
        events = await action.run(dispatcher, tracker(**turn), domain)
    return events, dispatcher.messages


@pytest.mark.parametrize("turn", FORM_TURNS, ids=lambda t: t["text"][:20])
@pytest.mark.parametrize("action", [ValidateFindServicesForm(), ValidateSlotMappings()])
def test_each_validation_answers_the_same_with_the_domain_sent(
    action: Any,
    turn: dict[str, Any],
    sent_domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    with_whole = asyncio.run(_answer(action, turn, whole, monkeypatch))
    with_sent = asyncio.run(_answer(action, turn, sent_domain, monkeypatch))
    assert with_sent == with_whole
    assert with_whole[0], "the validation set nothing: the comparison would prove nothing"


@asynccontextmanager
async def peers(bodies: list[Any] | None = None) -> AsyncIterator[tuple[str, list[int]]]:
    """A local JSON server that records the client port of each request it answers (and
    each JSON body in `bodies`)."""
    ports: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        ports.append(request.transport.get_extra_info("peername")[1])
        if bodies is not None:
            bodies.append(await request.json())
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with serving(app) as url:
        yield url, ports


# Her words as an action call carries them: accents, slashes, quotes, a float time stamp.
CALL = {
    "next_action": "action_search_services",
    "tracker": {
        "latest_message": {"text": 'mañana a las 8/9? "ya no puedo" \\ ok 🙏'},
        "events": [{"event": "user", "timestamp": 1765100000.123456}],
    },
}


def test_rasa_keeps_its_connection_to_the_action_server(monkeypatch: pytest.MonkeyPatch) -> None:
    bodies: list[Any] = []

    async def calls() -> tuple[list[int], list[int]]:
        async with peers(bodies) as (url, ports):
            endpoint = EndpointConfig(url + "/webhook", headers={"Authorization": "Bearer t"})
            for _ in range(3):
                await endpoint.request(json=CALL, method="post")
            rasa_own = list(ports)
            monkeypatch.setattr(EndpointConfig, "session", action_calls.kept_session)
            for _ in range(3):
                assert await endpoint.request(json=CALL, method="post") == {
                    "events": [],
                    "responses": [],
                }
            await action_calls.close_sessions()
            return rasa_own, ports[3:]

    rasa_own, kept = asyncio.run(calls())
    assert len(set(rasa_own)) == 3  # Rasa's own: a new connection for every call
    assert len(set(kept)) == 1
    assert bodies == [CALL] * 6  # what the action server reads is what Rasa meant


def test_the_action_server_keeps_its_connection_to_the_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def calls() -> tuple[list[int], list[int]]:
        async with peers() as (url, ports):
            monkeypatch.setenv("TANDEM_API_URL", url)
            for _ in range(3):
                await TandemApi().post_signal("client-1", "message_in")
            alone = list(ports)
            await client.keep_connections()
            try:
                for _ in range(3):
                    await TandemApi().post_signal("client-1", "message_in")
            finally:
                await client.close_connections()
            await TandemApi().post_signal("client-1", "message_in")  # closed: its own again
            return alone, ports[3:6]

    alone, kept = asyncio.run(calls())
    assert len(set(alone)) == 3
    assert len(set(kept)) == 1

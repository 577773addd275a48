"""A signal never costs her the reply: the action answers at once, the post runs in the
background, and a failure that may pass is retried (bounded) without a word to her."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import signals
from actions.checkin import ActionCraving
from tests.bot.fake_api import FakeApi, running, tracker


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def craving(fake: FakeApi, monkeypatch: pytest.MonkeyPatch) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()

    async def scenario() -> None:
        async with running(fake, monkeypatch):
            await ActionCraving().run(dispatcher, tracker(text="craving bad today"), {})

    asyncio.run(scenario())
    return dispatcher


def test_her_reply_does_not_wait_for_the_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(signals_held=asyncio.Event())
    dispatcher = CollectingDispatcher()

    async def scenario() -> None:
        async with running(fake, monkeypatch):
            await ActionCraving().run(dispatcher, tracker(text="craving bad today"), {})
            # The action is done and her reply ready while the post still waits on the API.
            assert responses(dispatcher) == ["utter_craving_support"]
            assert fake.signals_held is not None and not fake.signals_held.is_set()
            fake.signals_held.set()

    asyncio.run(scenario())
    assert [s["type"] for s in fake.signals] == ["craving"]


def test_a_failed_post_is_retried_and_she_never_hears_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeApi(signals_failures=2)  # two 503s, then the API is back
    dispatcher = craving(fake, monkeypatch)
    assert responses(dispatcher) == ["utter_craving_support"]
    assert [s["type"] for s in fake.signals] == ["craving"] * 3  # the same post, three tries
    assert fake.signals[0] == fake.signals[2]  # same message_sid: the API keeps one


def test_retries_wait_between_tries_and_are_bounded(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    waited: list[float] = []

    async def no_real_sleep(seconds: float) -> None:
        waited.append(seconds)

    fake = FakeApi(signals_failures=10)
    dispatcher = CollectingDispatcher()

    async def scenario() -> None:
        async with running(fake, monkeypatch):
            monkeypatch.setattr(signals, "RETRY_DELAYS", (2.0, 15.0))
            monkeypatch.setattr(signals, "_sleep", no_real_sleep)
            await ActionCraving().run(dispatcher, tracker(text="craving"), {})

    with caplog.at_level(logging.INFO, logger="actions.signals"):
        asyncio.run(scenario())
    assert waited == [2.0, 15.0]
    assert len(fake.signals) == 3  # then it gives up
    assert responses(dispatcher) == ["utter_craving_support"]
    assert "not logged after 3 tries" in caplog.text
    assert "craving bad" not in caplog.text


@pytest.mark.parametrize("status", [400, 404, 422])
def test_a_refused_post_is_not_retried(monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    fake = FakeApi(signals_status=status)
    dispatcher = craving(fake, monkeypatch)
    assert len(fake.signals) == 1
    assert responses(dispatcher) == ["utter_craving_support"]


def test_the_api_down_costs_her_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ports import closed_port_url

    monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
    monkeypatch.setattr(signals, "RETRY_DELAYS", (0.0, 0.0))
    dispatcher = CollectingDispatcher()

    async def scenario() -> Any:
        events = await ActionCraving().run(dispatcher, tracker(text="craving"), {})
        await signals.settled()
        return events

    asyncio.run(scenario())
    assert responses(dispatcher) == ["utter_craving_support"]

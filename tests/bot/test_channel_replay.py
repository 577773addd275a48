"""A replayed message reaches the bot at most once (bot/channels.py): the gateway stopped
waiting for its first attempt, which may have finished, or still be running in another Rasa
process holding her conversation's lock; the replay then gets the replies it got."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels import _once

SENDER = "c_test"


@dataclass
class Processor:
    """Rasa's processor as far as the channel uses it: runs the turn and stores it."""

    store: InMemoryTrackerStore
    turns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    async def handle_message(self, message: UserMessage) -> None:
        await asyncio.sleep(self.seconds)
        self.turns.append(message.metadata["message_sid"])
        tracker = await self.store.get_or_create_tracker(SENDER)
        tracker.update(UserUttered(message.text, metadata=message.metadata))
        tracker.update(BotUttered(f"got: {message.text}"))
        await self.store.save(tracker)


@dataclass
class Agent:
    lock_store: InMemoryLockStore
    tracker_store: InMemoryTrackerStore
    processor: Processor


def agent() -> Agent:
    store = InMemoryTrackerStore(Domain.empty())
    return Agent(InMemoryLockStore(), store, Processor(store))


def replay(text: str, sid: str) -> UserMessage:
    metadata = {"message_sid": sid, "replay": True}
    return UserMessage(text, CollectingOutputChannel(), SENDER, metadata=metadata)


def test_a_replay_of_a_finished_turn_gets_its_replies_without_running_it_again() -> None:
    bot = agent()

    async def scenario() -> tuple[list[str] | None, list[str] | None]:
        tracker = DialogueStateTracker(SENDER, [])
        tracker.update(ActionExecuted("action_listen"))
        await bot.tracker_store.save(tracker)
        first = await _once(bot, replay("i need a ride", "SM1"))  # not seen: the turn runs
        again = await _once(bot, replay("i need a ride", "SM1"))
        return first, again

    first, again = asyncio.run(scenario())
    assert first is None and again == ["got: i need a ride"]
    assert bot.processor.turns == ["SM1"]


def test_a_replay_waits_for_the_first_attempt_still_running() -> None:
    bot = agent()
    bot.processor.seconds = 0.3

    async def scenario() -> list[str] | None:
        first = asyncio.create_task(_once(bot, replay("friday", "SM2")))
        await asyncio.sleep(0.05)  # the first attempt holds her lock now
        again = await _once(bot, replay("friday", "SM2"))
        await first
        return again

    assert asyncio.run(scenario()) == ["got: friday"]
    assert bot.processor.turns == ["SM2"]

"""The loaded model is frozen out of the garbage collector's full passes (bot/frozen_heap.py):
Rasa's own loading runs first and its agent is what the server gets; then everything alive
is frozen, and what a turn creates afterwards is still collected."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from rasa.core import run

from bot import frozen_heap


class Agent:
    pass


class Garbage:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_the_agent_is_loaded_by_rasa_then_the_heap_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = Agent()

    async def rasa_load(*args: object, **kwargs: object) -> Agent:
        assert args == ("model.tar.gz",) and gc.get_freeze_count() == 0
        return loaded

    monkeypatch.setattr(frozen_heap, "_rasa_load", rasa_load)
    monkeypatch.setattr(run, "load_agent_on_start", run.load_agent_on_start)
    frozen_heap.install()
    try:
        assert asyncio.run(run.load_agent_on_start("model.tar.gz")) is loaded
        assert gc.get_freeze_count() > 0
        garbage = Garbage()
        gone = weakref.ref(garbage)
        del garbage
        gc.collect()
        assert gone() is None  # a turn's own garbage is still collected
    finally:
        gc.unfreeze()

"""Rasa's circuit breaker: once Rasa hangs, the gateway stops waiting on it.

A stopped Rasa refuses at once and costs little; a frozen one (alive, not answering) costs
every message the whole ``RASA_TIMEOUT_SECONDS``, a crisis included, and a woman who texts
three times waits three times. So a turn that times out opens the breaker: while it is open
that process gets no turns, only a cheap health probe (``GET /`` with a short timeout), at most
every ``retry_seconds``; the first probe it answers closes it. There is one breaker per Rasa
process (rasa_pool.py, which also trips one that refuses connections): while every one is
open the gateway answers each message at once with its own fallback (crisis help for a
crisis, else the holding text), keeps the message for replay, and the worker replays what she
sent once a process answers again. When only a crisis's shorter
wait ran out (``suspect``), a probe decides: slow but answering stays closed, hung opens it.

    breaker = Breaker(probe=rasa.healthy)
    if breaker.is_open: ...     # answer without Rasa; breaker.nudge() probes in the background
    breaker.trip()              # a turn timed out
    await breaker.check()       # True when closed (probing first if one is due)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.logs import log_event
from services.metrics import RASA_BREAKER

logger = logging.getLogger(__name__)


@dataclass
class Breaker:
    probe: Callable[[], Awaitable[bool]]  # does Rasa answer now? (quick, never raises)
    name: str = "rasa"  # which Rasa process, for the logs
    retry_seconds: float = 2.0
    clock: Callable[[], float] = time.monotonic
    opened_at: float | None = None
    _last_probe: float = float("-inf")
    _probing: asyncio.Task[bool] | None = field(default=None, repr=False)

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def trip(self) -> None:
        """A turn timed out: stop waiting on Rasa until a probe sees it answer."""
        if self.opened_at is None:
            self.opened_at = self._last_probe = self.clock()
            RASA_BREAKER.labels("opened").inc()
            log_event(logger, "rasa_breaker_opened", logging.WARNING, rasa=self.name)

    def close(self) -> None:
        if self.opened_at is not None:
            down_for = round(self.clock() - self.opened_at, 1)
            self.opened_at = None
            RASA_BREAKER.labels("closed").inc()
            log_event(logger, "rasa_breaker_closed", rasa=self.name, seconds_open=down_for)

    async def check(self) -> bool:
        """True when the breaker is closed; while open, probe first if one is due."""
        if self.opened_at is None:
            return True
        if self._probing is None and self.clock() - self._last_probe >= self.retry_seconds:
            await self._probe_once()
        return self.opened_at is None

    @property
    def probing(self) -> bool:
        return self._probing is not None

    def suspect(self) -> None:
        """A shorter wait (a crisis's) ran out: Rasa may be slow or hung. Probe now, in the
        background; a probe it does not answer either opens the breaker."""
        if self.opened_at is None and self._probing is None:
            self._probing = asyncio.create_task(self._probe_once())

    def nudge(self) -> None:
        """Probe in the background if one is due, so her message never waits on the probe."""
        due = self.clock() - self._last_probe >= self.retry_seconds
        if self.opened_at is not None and self._probing is None and due:
            self._probing = asyncio.create_task(self._probe_once())

    async def probed(self) -> None:
        """Wait for the background probe in progress, if any."""
        task = self._probing
        if task is not None:
            await asyncio.shield(task)

    async def _probe_once(self) -> bool:
        self._last_probe = self.clock()
        try:
            answered = await self.probe()
        finally:
            self._probing = None
        if answered:
            self.close()
        else:
            self.trip()
        return answered

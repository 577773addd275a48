"""Several Rasa processes behind the gateway: each turn goes to the next one that answers.

The processes share the tracker store (PostgreSQL) and the lock store (Redis), so any of them
can take any turn of any conversation; her turns go round the processes one after another
and stay in order because the gateway sends one of hers at a time (the per-woman lock in
replay.py). Each process has its own breaker (breaker.py): a hung one is skipped after its
first time-out and a dead one (connection refused) at once, until its health probe answers
again (services/stack.py restarts a dead one). Only when every breaker is open does the
gateway answer without the bot.

    pool = RasaPool.from_settings(settings, http)
    replies = await pool.send(client_id, text, message_sid)   # the next healthy process
    pool.is_open       # every process hangs or is down
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp

from services.gateway.breaker import Breaker
from services.gateway.rasa_client import BotTimedOut, BotUnavailable, BotUnreachable, RasaClient
from services.logs import log_event
from services.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")

REMEMBERED_WOMEN = 100_000  # a few MB; past it, a woman's next turn joins the pool's round


@dataclass
class RasaProcess:
    client: RasaClient
    breaker: Breaker

    @property
    def name(self) -> str:
        return self.client.url


class RasaPool:
    def __init__(self, clients: list[RasaClient]) -> None:
        if not clients:
            raise ValueError("a Rasa pool needs at least one process")
        self.processes = [RasaProcess(c, Breaker(probe=c.healthy, name=c.url)) for c in clients]
        self._turns = itertools.cycle(range(len(self.processes)))
        # Which process took each recent woman's last turn (the oldest forgotten first).
        self._last: OrderedDict[str, int] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings, http: aiohttp.ClientSession) -> RasaPool:
        return cls([RasaClient.for_process(settings, http, url) for url in settings.rasa_urls])

    @property
    def is_open(self) -> bool:
        """No process can take a turn now: each one timed out or refused, and no probe has
        seen it answer since."""
        return all(p.breaker.is_open for p in self.processes)

    def nudge(self) -> None:
        """Probe, in the background, every process whose probe is due."""
        for process in self.processes:
            process.breaker.nudge()

    async def check(self) -> bool:
        """True when some process can take a turn (probing those due first)."""
        closed = await asyncio.gather(*(p.breaker.check() for p in self.processes))
        return any(closed)

    async def _usable(self, process: RasaProcess) -> bool:
        """Can this process take a call now? A suspect one (a crisis's wait just ran out) is
        probed before anything else is sent to it (at most the probe's second), so the next
        message does not wait the whole time-out on a process that hangs."""
        if not process.breaker.is_open and process.breaker.probing:
            await process.breaker.probed()
        return not process.breaker.is_open

    async def probed(self) -> None:
        """Wait for the background probes in progress, if any."""
        await asyncio.gather(*(p.breaker.probed() for p in self.processes))

    async def trigger_check_in(self, sender: str, kind: str, discreet: bool) -> None:
        """Tell her (shared) conversation that a check-in went out, through the process
        after the one that took her last turn (her round, as for her messages): one that
        refuses the connection or fails is left for the next. BotUnavailable when none
        took it."""
        self.nudge()
        for index in self._round_for(sender):
            process = self.processes[index]
            if not await self._usable(process):
                continue
            try:
                await process.client.trigger_check_in(sender, kind, discreet)
            except (BotUnreachable, BotTimedOut):
                process.breaker.trip()  # down, or hung for the whole time-out
                continue
            except BotUnavailable:
                continue
            self._remember(sender, index)
            return
        raise BotUnavailable("no Rasa process took the check-in")

    def set_retry_seconds(self, seconds: float) -> None:
        for process in self.processes:
            process.breaker.retry_seconds = seconds

    async def send(
        self,
        sender: str,
        text: str,
        message_sid: str,
        timeout_seconds: float | None = None,
        *,
        replay: bool = False,
    ) -> list[str]:
        """Her message to the next process whose breaker is closed. A process that refuses
        the connection never saw the turn, so the next one gets it; one that times out may
        still finish it, so the turn is not sent again (the replay asks the shared tracker
        first). BotUnavailable when no process can take it."""
        self.nudge()  # one that was down or hung rejoins once its probe answers
        for index in self._round_for(sender):
            process = self.processes[index]
            if not await self._usable(process):
                continue
            start = time.monotonic()
            try:
                replies = await process.client.send(
                    sender, text, message_sid, timeout_seconds, replay=replay
                )
            except BotUnreachable:
                process.breaker.trip()
                continue
            except BotTimedOut:
                if timeout_seconds is None or timeout_seconds >= process.client.timeout_seconds:
                    process.breaker.trip()
                else:
                    # Only a crisis's shorter wait ran out: slow is not hung, a probe decides.
                    process.breaker.suspect()
                raise
            self._remember(sender, index)
            log_event(
                logger,
                "bot_turn",
                client_id=sender,
                message_sid=message_sid,
                rasa=process.name,
                ms=round((time.monotonic() - start) * 1000),
            )
            return replies
        raise BotUnavailable("no Rasa process can take the turn")

    def _round_for(self, sender: str) -> list[int]:
        """The processes in the order her turn tries them: round-robin over her own turns
        (the one after the process that took her last turn; her first turn, or one after
        she was forgotten here, the next of the pool's round). Her turns thus spread over
        every process for certain, not by chance, and so does the load over many women."""
        last = self._last.get(sender)
        first = next(self._turns) if last is None else last + 1
        return [(first + i) % len(self.processes) for i in range(len(self.processes))]

    def _remember(self, sender: str, index: int) -> None:
        self._last[sender] = index
        self._last.move_to_end(sender)
        if len(self._last) > REMEMBERED_WOMEN:
            self._last.popitem(last=False)

    async def replies_to(self, sender: str, message_sid: str) -> list[str] | None:
        """The bot's replies to `message_sid` if the (shared) tracker has it, else None; asked
        of the first process whose breaker is closed that answers."""
        return await self._tracker_call(lambda c: c.replies_to(sender, message_sid))

    async def _tracker_call(self, call: Callable[[RasaClient], Awaitable[T]]) -> T:
        """``call`` on the first usable process that answers: the tracker is shared, so any
        process will do. BotUnavailable when none answers."""
        for process in self.processes:
            if not await self._usable(process):
                continue
            try:
                return await call(process.client)
            except BotUnavailable:
                continue
        raise BotUnavailable("no Rasa process answered for the tracker")

"""The services' background worker: replay what the bot missed once it is back, send
proactive messages that waited out quiet hours, and send due check-ins. Every services
process runs one; the jobs coordinate through the database, so any number can."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from services.gateway.replay import Replayer
from services.logs import log_event

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


async def run_forever(replayer: Replayer, interval: float, jobs: Sequence[Job]) -> None:
    while True:
        for job in (replayer.replay_all, *jobs):
            try:
                await job()
            except Exception:  # noqa: BLE001 - the loop (and the other jobs) outlive a failure
                log_event(logger, "gateway_worker_failed", logging.ERROR, exc_info=True)
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(
    replayer: Replayer, interval: float, jobs: Sequence[Job] = ()
) -> AsyncIterator[None]:
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(run_forever(replayer, interval, jobs))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

"""The gateway's background worker: replay what the bot missed once it is back, and send
proactive messages that waited out quiet hours."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from services.gateway.replay import Replayer
from services.logs import log_event

logger = logging.getLogger(__name__)


async def run_forever(
    replayer: Replayer, interval: float, send_due: Callable[[], Awaitable[int]] | None
) -> None:
    while True:
        try:
            await replayer.replay_all()
            if send_due is not None:
                await send_due()
        except Exception:  # noqa: BLE001 - the loop must outlive any one failure
            log_event(logger, "gateway_worker_failed", logging.ERROR, exc_info=True)
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(
    replayer: Replayer, interval: float, send_due: Callable[[], Awaitable[int]] | None = None
) -> AsyncIterator[None]:
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(run_forever(replayer, interval, send_due))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

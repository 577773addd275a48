"""The gateway's background worker: replay what the bot missed once it is back, and send
proactive messages that waited out quiet hours."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from services.gateway.inbound import Gateway
from services.gateway.replay import replay_all
from services.logs import log_event

logger = logging.getLogger(__name__)


async def run_forever(
    gateway: Gateway, interval: float, send_due: Callable[[], Awaitable[int]] | None
) -> None:
    while True:
        try:
            await replay_all(gateway)
            if send_due is not None:
                await send_due()
        except Exception:  # noqa: BLE001 - the loop must outlive any one failure
            log_event(logger, "gateway_worker_failed", logging.ERROR, exc_info=True)
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(
    gateway: Gateway, interval: float, send_due: Callable[[], Awaitable[int]] | None = None
) -> AsyncIterator[None]:
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(run_forever(gateway, interval, send_due))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

"""Pass one message to Rasa's tandem channel and collect the bot's replies."""

from __future__ import annotations

import asyncio

import aiohttp


class BotUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or failed the turn."""


async def send_to_bot(
    http: aiohttp.ClientSession,
    rasa_url: str,
    token: str,
    sender: str,
    text: str,
    metadata: dict[str, object],
    timeout_seconds: float,
) -> list[str]:
    try:
        async with http.post(
            f"{rasa_url.rstrip('/')}/webhooks/tandem/webhook",
            json={"sender": sender, "message": text, "metadata": metadata},
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        ) as response:
            if response.status != 200:
                raise BotUnavailable(f"rasa answered {response.status}")
            replies = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise BotUnavailable(type(error).__name__) from error
    if not isinstance(replies, list):
        raise BotUnavailable("rasa answered with something other than a list")
    return [r["text"] for r in replies if isinstance(r, dict) and isinstance(r.get("text"), str)]

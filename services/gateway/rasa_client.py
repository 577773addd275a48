"""Rasa's HTTP API as the gateway uses it: the tandem channel for one turn, and the tracker for
what the bot already answered to a message."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from safety import embedding
from services.settings import Settings


class BotUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or failed the turn."""


class BotTimedOut(BotUnavailable):
    """Rasa accepted the turn but did not answer in time: it may be hung (services/gateway/
    breaker.py), or only slow (the turn may still finish; the replay finds it in the tracker)."""


class BotUnreachable(BotUnavailable):
    """No connection to Rasa at all (the process is down): the turn never reached it, so
    another Rasa process may take it (services/gateway/rasa_pool.py)."""


# The external intent a sent check-in triggers (domain.yml, data/rules/checkin.yml).
CHECK_IN_INTENT = "EXTERNAL_check_in"


@dataclass(frozen=True)
class RasaClient:
    http: aiohttp.ClientSession
    url: str
    token: str
    timeout_seconds: float

    @classmethod
    def for_process(cls, settings: Settings, http: aiohttp.ClientSession, url: str) -> RasaClient:
        """The client of the Rasa process at ``url`` (one of ``settings.rasa_urls``)."""
        return cls(http, url.rstrip("/"), settings.rasa_token, settings.rasa_timeout_seconds)

    @property
    def _timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.timeout_seconds)

    async def send(
        self,
        sender: str,
        text: str,
        message_sid: str,
        timeout_seconds: float | None = None,
        *,
        replay: bool = False,
    ) -> list[str]:
        """The bot's replies to one message of hers; BotUnavailable when there are none (e.g.
        the action server is down): she is never left with silence. BotTimedOut when Rasa
        did not answer within ``timeout_seconds`` (default: ``timeout_seconds`` of the client).
        ``replay``: sent before and not answered in time; the bot takes it at most once
        (bot/channels.py)."""
        seconds = self.timeout_seconds if timeout_seconds is None else timeout_seconds
        metadata: dict[str, Any] = {"message_sid": message_sid}
        if replay:
            metadata["replay"] = True
        row = embedding.known(text)  # the crisis judgement read it here already
        if row is not None:
            metadata["embedding"] = embedding.to_wire(row)
        try:
            async with self.http.post(
                f"{self.url}/webhooks/tandem/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                if response.status != 200:
                    raise BotUnavailable(f"rasa answered {response.status}")
                replies = await response.json()
        except asyncio.TimeoutError as error:
            raise BotTimedOut(f"no answer in {seconds} s") from error
        except aiohttp.ClientConnectorError as error:
            raise BotUnreachable(type(error).__name__) from error
        except (aiohttp.ClientError, ValueError) as error:
            raise BotUnavailable(type(error).__name__) from error
        if not isinstance(replies, list):
            raise BotUnavailable("rasa answered with something other than a list")
        texts = [
            r["text"] for r in replies if isinstance(r, dict) and isinstance(r.get("text"), str)
        ]
        if not texts:
            raise BotUnavailable("the bot answered with no messages")
        return texts

    async def healthy(self, timeout_seconds: float = 1.0) -> bool:
        """Does Rasa answer its root URL within ``timeout_seconds``? Never raises."""
        try:
            async with self.http.get(
                f"{self.url}/", timeout=aiohttp.ClientTimeout(total=timeout_seconds)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def replies_to(self, sender: str, message_sid: str) -> list[str] | None:
        """The bot's replies to message `message_sid` if Rasa's tracker has it, else None."""
        tracker = await self._tracker(sender)
        replies: list[str] | None = None
        for event in tracker.get("events") or []:
            kind = event.get("event")
            if kind == "user":
                # The next message of hers, or a check-in Tandem triggered (an external
                # user event): the turn we looked for is over.
                if replies is not None:
                    break
                if (event.get("metadata") or {}).get("message_sid") == message_sid:
                    replies = []
            elif kind == "bot" and replies is not None and event.get("text"):
                if (event.get("metadata") or {}).get("check_in"):
                    continue  # a check-in recorded as the bot's text (before trigger_intent)
                replies.append(event["text"])
        return replies

    async def trigger_check_in(self, sender: str, kind: str, discreet: bool) -> None:
        """Tell her conversation that a check-in went out (Rasa's external event: intent
        EXTERNAL_check_in with entities check_in_kind and discreet), so the bot reads her
        reply in context. No output_channel: Rasa sends nothing, the text already went out.
        BotUnreachable when no connection, BotUnavailable for any other failure."""
        try:
            async with self.http.post(
                f"{self.url}/conversations/{sender}/trigger_intent",
                params={"token": self.token, "include_events": "NONE"},
                json={
                    "name": CHECK_IN_INTENT,
                    "entities": {
                        "check_in_kind": kind,
                        "discreet": "true" if discreet else "false",
                    },
                },
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise BotUnavailable(f"trigger_intent answered {response.status}")
        except asyncio.TimeoutError as error:
            raise BotTimedOut(f"no answer in {self.timeout_seconds} s") from error
        except aiohttp.ClientConnectorError as error:
            raise BotUnreachable(type(error).__name__) from error
        except aiohttp.ClientError as error:
            raise BotUnavailable(type(error).__name__) from error

    async def _tracker(self, sender: str) -> dict[str, Any]:
        try:
            async with self.http.get(
                f"{self.url}/conversations/{sender}/tracker",
                params={"include_events": "ALL", "token": self.token},
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise BotUnavailable(f"tracker answered {response.status}")
                return await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise BotUnavailable(type(error).__name__) from error

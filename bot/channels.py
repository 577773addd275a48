"""The Rasa input channel the services gateway talks to.

Like Rasa's REST channel, but it requires a bearer token (Rasa's --auth-token does not cover
channel webhooks), never logs message text, and answers 500 when the turn fails so the gateway
falls back to its crisis/holding reply instead of sending nothing.

A replayed message (metadata `replay`: the gateway stopped waiting for it once) is taken at
most once: under the conversation's lock, if her tracker already has its MessageSid (the first
attempt finished, perhaps in another Rasa process that held the lock meanwhile), the replies
it got are answered again instead of running the turn twice.

The gateway sends the sentence embedding it computed for the text (metadata `embedding`,
``safety.embedding.to_wire``); it is kept for the readers and taken out of the metadata, so
her stored message never carries it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from safety import embedding

logger = logging.getLogger(__name__)


class TandemInput(InputChannel):
    def __init__(self, token: str) -> None:
        self.token = token

    @classmethod
    def name(cls) -> str:
        return "tandem"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TandemInput:
        token = (credentials or {}).get("token") or ""
        if len(token) < 16:
            raise RasaException("the tandem channel needs a token of 16+ characters (RASA_TOKEN)")
        return cls(token)

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("tandem_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorized(request):
                return response.json({"error": "unauthorized"}, status=401)
            payload = request.json if isinstance(request.json, dict) else {}
            sender, text = payload.get("sender"), payload.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            metadata = (
                payload.get("metadata") if isinstance(payload.get("metadata"), dict) else None
            )
            if metadata is not None and "embedding" in metadata:
                # The gateway's sentence embedding of this very text: the readers use it
                # instead of encoding it again. Never stored with her message.
                metadata = dict(metadata)
                embedding.remember(text, metadata.pop("embedding"))
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=metadata
            )
            try:
                if (metadata or {}).get("replay") and (metadata or {}).get("message_sid"):
                    earlier = await _once(request.app.ctx.agent, message)
                    if earlier is not None:
                        return response.json([{"recipient_id": sender, "text": t} for t in earlier])
                else:
                    await on_new_message(message)
            except Exception:  # noqa: BLE001 - any failure must reach the gateway as a 500
                logger.exception("tandem channel turn failed for sender %s", sender)
                return response.json({"error": "turn_failed"}, status=500)
            return response.json(collector.messages)

        return webhook


async def _once(agent: Agent, message: UserMessage) -> list[str] | None:
    """The turn of `message`, unless her tracker already has it: then its replies. Holds the
    conversation's lock throughout, as Agent.handle_message does around the turn."""
    async with agent.lock_store.lock(message.sender_id):
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        sid = (message.metadata or {}).get("message_sid")
        earlier = replies_to(tracker.events if tracker else [], sid)
        if earlier is None:
            await agent.processor.handle_message(message)  # type: ignore[union-attr]
        return earlier


def replies_to(events: Iterable[Event], message_sid: str) -> list[str] | None:
    """The bot's replies to her message `message_sid` if `events` hold it, else None."""
    replies: list[str] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # her next message: the turn looked for is over
            if (event.metadata or {}).get("message_sid") == message_sid:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None and event.text:
            replies.append(event.text)
    return replies

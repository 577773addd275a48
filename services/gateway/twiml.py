"""Replies as TwiML, in order."""

from __future__ import annotations

from xml.etree import ElementTree

from twilio.twiml.messaging_response import MessagingResponse


def messages_to_twiml(texts: list[str]) -> str:
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return str(response)


def twiml_to_messages(xml: str) -> list[str]:
    root = ElementTree.fromstring(xml)
    return [(node.text or "") for node in root.iter("Message")]

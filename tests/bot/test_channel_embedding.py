"""The gateway hands Rasa the sentence embedding of her text (bot/channels.py,
safety/embedding.py): the channel keeps it for the readers and takes it out of the message's
metadata, so her stored turn never carries it; a bad one is ignored and the text is encoded
here as before."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import numpy as np

from bot.channels import TandemInput
from safety import embedding

TOKEN = "t" * 24


def post(metadata: dict) -> list[tuple[str, bool, dict]]:
    seen = []

    async def on_new_message(message) -> None:
        seen.append((message.text, embedding.known(message.text) is not None, message.metadata))

    blueprint = TandemInput(TOKEN).blueprint(on_new_message)
    (receive,) = [r.handler for r in blueprint._future_routes if r.uri == "/webhook"]
    request = SimpleNamespace(
        json={"sender": "c_1", "message": "necesito un ride manana", "metadata": metadata},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert asyncio.run(receive(request)).status == 200
    return seen


def unit_row() -> np.ndarray:
    row = np.random.default_rng(7).standard_normal(embedding.DIMENSIONS).astype(np.float32)
    return row / np.linalg.norm(row)


def test_the_gateways_embedding_is_used_and_not_stored_with_her_message() -> None:
    embedding.clear()
    row = unit_row()
    seen = post({"message_sid": "SM1", "embedding": embedding.to_wire(row)})
    assert seen == [("necesito un ride manana", True, {"message_sid": "SM1"})]
    assert np.array_equal(embedding.known("necesito un ride manana"), row)


def test_a_damaged_embedding_is_dropped_and_the_turn_goes_on() -> None:
    embedding.clear()
    seen = post({"message_sid": "SM2", "embedding": "AAAA"})
    assert seen == [("necesito un ride manana", False, {"message_sid": "SM2"})]

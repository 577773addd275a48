"""A sentence embedding handed from the gateway to Rasa (safety/embedding.py): the row Rasa
keeps is the row the gateway computed, and anything else is refused, not kept."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from safety import embedding


@pytest.fixture(autouse=True)
def fresh_rows():
    embedding.clear()
    yield
    embedding.clear()


def test_a_handed_over_row_is_used_instead_of_encoding_again(monkeypatch) -> None:
    text = "si me quedo sin ride no llego a la clinica"
    row = embedding.embed([text])[0]
    wire = embedding.to_wire(row)
    embedding.clear()

    def no_encoder():
        raise AssertionError("the text was encoded again")

    monkeypatch.setattr(embedding, "_model", no_encoder)
    assert embedding.remember(text, wire)
    assert np.array_equal(embedding.embed([text])[0], row)


def unit_row(seed: int = 1) -> np.ndarray:
    row = np.random.default_rng(seed).standard_normal(embedding.DIMENSIONS).astype(np.float32)
    return row / np.linalg.norm(row)


@pytest.mark.parametrize(
    "wire",
    [
        "not base64 at all!",
        base64.b64encode(unit_row()[:100].astype("<f4").tobytes()).decode(),  # too short
        embedding.to_wire(unit_row() * 3),  # not unit length
        embedding.to_wire(np.full(embedding.DIMENSIONS, np.nan, dtype=np.float32)),
        None,
        12,
    ],
)
def test_anything_but_a_unit_row_is_refused_and_not_kept(wire) -> None:
    assert embedding.remember("hola", wire) is False
    assert embedding.known("hola") is None


def test_a_kept_row_cannot_be_changed_by_a_reader() -> None:
    assert embedding.remember("hi", embedding.to_wire(unit_row()))
    with pytest.raises(ValueError):
        embedding.known("hi")[0] = 5.0

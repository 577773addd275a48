"""SMS segment counts against Twilio's segment calculator vectors (shared/conformance)."""

from __future__ import annotations

import json

import pytest

from services.gateway.segments import count_segments, is_gsm7
from services.settings import REPO_ROOT

VECTORS = json.loads(
    (REPO_ROOT.parent / "shared/conformance/twilio/segment_vectors.json").read_text()
)["cases"]


@pytest.mark.parametrize("case", VECTORS)
def test_conformance_vector(case: dict) -> None:
    text = case["prefix"] + case["fill"] * case["n"]
    assert is_gsm7(text) is (case["encoding"] == "GSM-7")
    assert count_segments(text) == case["segments"]


def test_spanish_accents_stay_gsm7_but_a_curly_quote_does_not() -> None:
    assert is_gsm7("Se habla español. ¿Necesitas ayuda?")
    assert not is_gsm7("I’m here")

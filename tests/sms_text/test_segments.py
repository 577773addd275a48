"""SMS segment counts against Twilio's segment calculator vectors (shared/conformance), in
whichever runtime runs the tests: both import sms_text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from sms_text.segments import count_segments, gsm7_length, is_gsm7  # noqa: E402

VECTORS_PATH = _REPO.parent / "shared/conformance/twilio/segment_vectors.json"
VECTORS = json.loads(VECTORS_PATH.read_text())["cases"]


@pytest.mark.parametrize("case", VECTORS)
def test_conformance_vector(case: dict) -> None:
    text = case["prefix"] + case["fill"] * case["n"]
    assert is_gsm7(text) is (case["encoding"] == "GSM-7")
    assert count_segments(text) == case["segments"]


def test_spanish_accents_stay_gsm7_but_a_curly_quote_does_not() -> None:
    assert is_gsm7("Se habla español. ¿Necesitas ayuda?")
    assert not is_gsm7("I’m here")


def test_an_extension_character_takes_two_septets() -> None:
    assert gsm7_length("a{b}€") == 8

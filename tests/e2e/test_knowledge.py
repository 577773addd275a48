"""A practical question through the real stack: she asks about take-homes and gets the answer
from data/knowledge/answers.yml and its offer; her "yes" really starts the search for
methadone clinics (it asks where, and her town gets its places)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def test_take_homes_answer_then_the_offered_search(stack: Stack) -> None:
    phone = "+14135550477"
    replies = stack.sms("how do i get take homes? going every day w the baby is so hard", phone)
    text = " ".join(replies)
    assert "take-home doses" in text and "Ask your counselor or clinic doctor" in text, replies
    assert replies[-1] == (
        "Clinics set their own take-home rules. Want me to look for methadone clinics near you?"
    )
    asked = " ".join(stack.sms("yes", phone)).lower()
    assert "zip" in asked or "town" in asked, asked
    places = stack.sms("springfield", phone)
    assert any(reply.startswith("1) ") for reply in places), places
    assert "methadone" in places[0].lower(), places[0]

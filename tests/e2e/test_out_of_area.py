"""A zip code outside Massachusetts, through the real stack: no place in another state is
listed as near her; she hears what Tandem covers and where to look; a Massachusetts town she
names next gets its places."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def test_a_connecticut_zip_then_a_massachusetts_town(stack: Stack) -> None:
    phone = "+14135550321"
    asked = " ".join(stack.sms("i need help getting on suboxone", phone))
    assert "zip" in asked.lower() or "town" in asked.lower()
    outside = " ".join(stack.sms("06082", phone))
    assert "covers Massachusetts" in outside and "1-800-662-4357" in outside
    assert "1) " not in outside, "nothing listed as near a Connecticut zip"
    places = stack.sms("springfield", phone)
    assert any(reply.startswith("1) ") for reply in places), places

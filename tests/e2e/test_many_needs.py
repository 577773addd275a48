"""Several needs in one text, through the real stack: all of them heard at once, her
medication running out first (what to do today, then places), and the others offered after
the results, one YES at a time."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def test_the_urgent_need_first_and_the_others_offered_after(stack: Stack) -> None:
    phone = "+14135550377"
    text = "i need a ride to the clinic and im out of subs tmrw, also daycare for my son"
    first = stack.sms(text, phone)
    joined = " ".join(first)
    assert "Call your prescriber today" in joined, first
    assert "rides" in joined and "childcare" in joined, "every need she named is heard"
    assert "zip" in joined.lower() or "town" in joined.lower(), first
    places = stack.sms("01105", phone)
    assert any(reply.startswith("1) ") for reply in places), places
    assert "buprenorphine" in places[0], "her medication first"
    offered = places[-1]
    assert offered.startswith("You also asked about "), places
    second, third = ("rides", "childcare") if "rides" in offered else ("childcare", "rides")
    then = stack.sms("yes", phone)
    assert second in then[0] and any(r.startswith("1) ") for r in then), then
    assert f"You also asked about {third}" in then[-1], then

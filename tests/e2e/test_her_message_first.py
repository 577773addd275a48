"""Her message first (issue 10, point 1), end to end through signed webhooks against the real
stack: what she texts after "hi" is answered, never taken as her name; a form's question
that gets another kind of message lets go, and "ok thanks" ends it without "Sorry, I
couldn't find that place"; a first message in Spanish gets the Spanish intro and its answer.
Each test uses phone numbers of its own."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.test_conversation import assert_sms_sized

pytestmark = pytest.mark.e2e

NAME_QUESTION = "What name would you like me to call you?"
PLACE_QUESTION = "What zip code or town are you in?"
NOT_FOUND = "couldn't find that place"


def test_after_hi_her_ride_never_came_is_a_barrier_not_her_name(stack: Stack) -> None:
    phone = "+14135550401"
    welcome = stack.sms("hi", phone)
    assert_sms_sized(welcome)
    assert welcome[0].startswith("Hi, I'm Tandem") and welcome[-1].startswith(NAME_QUESTION)

    reply = stack.sms("ride never came", phone)
    assert_sms_sized(reply)
    joined = " ".join(reply)
    assert "Ride Never Came" not in joined and "Thanks," not in joined, reply
    assert "Rides are a real barrier" in joined, reply
    assert NAME_QUESTION not in joined  # asked once

    # She never gave a name; her own words later still work.
    named = stack.sms("you can call me Jess", phone)
    assert any("I'll call you Jess" in r for r in named), named


def test_a_real_name_is_taken_and_the_stage_question_follows(stack: Stack) -> None:
    phone = "+14135550402"
    stack.sms("hello", phone)
    reply = stack.sms("Jess", phone)
    assert_sms_sized(reply)
    assert reply[-1].startswith("Thanks, Jess! Are you pregnant now"), reply
    noted = stack.sms("22 weeks", phone)
    assert any("you're pregnant" in r for r in noted), noted


def test_the_place_question_lets_go_and_ok_thanks_ends_it(stack: Stack) -> None:
    phone = "+14135550403"
    asked = stack.sms("i need suboxone", phone)
    assert asked[0].startswith("Hi, I'm Tandem"), asked  # the intro, then the answer
    assert PLACE_QUESTION in asked[-1], asked

    # Her partner reads her phone: discreet texts from now on (ask_discreet), then the form
    # lets go instead of asking for a place again.
    reply = stack.sms("my partner reads my phone", phone)
    assert_sms_sized(reply)
    assert reply[0].startswith("Okay. From now on, texts I start will just say"), reply
    assert reply[-1].startswith("Still want places for buprenorphine (Suboxone)?"), reply
    assert not any(PLACE_QUESTION in r or NOT_FOUND in r for r in reply), reply

    done = stack.sms("ok thanks", phone)
    assert_sms_sized(done)
    assert done[0].startswith("You're welcome"), done
    assert not any(NOT_FOUND in r or PLACE_QUESTION in r for r in done), done


def test_a_first_message_in_spanish_is_answered_in_spanish(stack: Stack) -> None:
    phone = "+14135550404"
    reply = stack.sms("estoy embarazada y estoy en metadona", phone)
    assert_sms_sized(reply)
    assert reply[0].startswith("Hola, soy Tandem"), reply
    assert "embarazada" in reply[1] and "Thanks," not in " ".join(reply), reply

"""The texts that take back a consent or cancel a referral reach the bot: the gateway's opt-out
keywords are whole messages ("STOP", "CANCEL"), so "stop sharing" or "cancel my referral" are
not an SMS opt-out (data/gateway/keywords.yml; the bot's withdraw_consent intent)."""

import pytest

from services.gateway.keywords import Keyword, load_keywords

REACH_THE_BOT = [
    "stop sharing",
    "STOP SHARING",
    "stop sharing my info",
    "cancel my referral",
    "CANCEL MY REFERRAL",
    "cancel the referral",
    "don't share my info",
    "i changed my mind dont send my info",
    "no compartan mi informacion",
    "cancelar mi referido",
    "CANCELAR MI REFERIDO",
    "YES",
    "no",
]


@pytest.mark.parametrize("text", REACH_THE_BOT)
def test_consent_and_referral_texts_are_not_keywords(text: str) -> None:
    assert load_keywords().classify(text, opted_out=False) is None


@pytest.mark.parametrize("text", ["STOP", "cancel", "Stop."])
def test_bare_stop_and_cancel_still_opt_out(text: str) -> None:
    assert load_keywords().classify(text, opted_out=False) is Keyword.OPT_OUT

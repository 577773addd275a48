"""action_crisis_followup: every message she sends while a crisis or a direct safety question
is open gets the next right step, in her words' meaning, never the first crisis text again.

Run on tracker fixtures against the fake services API (tests/bot/fake_api.py); the alert for
staff carries a category, never her words.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.crisis import ActionCrisisFollowup
from actions.crisis_words import PASSIVE, SAFE, UNSURE, answer, overdose_stage
from tests.bot.fake_api import FakeApi, running, tracker


def followup(
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    *,
    intent: str = "nlu_fallback",
    judged: str | None = None,
    fake: FakeApi | None = None,
    active_loop: str | None = None,
    **slots: Any,
) -> tuple[list[str], dict[str, Any], FakeApi]:
    """(responses she is sent, the slots the action set, the fake API)."""
    fake = fake or FakeApi()
    t = tracker(slots=slots, text=text, intent=intent, active_loop=active_loop)
    if judged:
        t.latest_message["crisis"] = {"level": "crisis", "category": judged}
    dispatcher = CollectingDispatcher()

    async def scenario() -> list[Any]:
        async with running(fake, monkeypatch):
            return await ActionCrisisFollowup().run(dispatcher, t, {})

    events = asyncio.run(scenario())
    set_slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    if active_loop:
        assert ActiveLoop(None) in events, "an open form closes: her answer is not a form answer"
    return [m["response"] for m in dispatcher.messages], set_slots, fake


# --- her words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("I won't do anything tonight, I just think about it", PASSIVE),
        ("not tonight", PASSIVE),
        ("solo lo pienso a veces", PASSIVE),
        ("idk honestly", UNSURE),
        ("kinda", UNSURE),
        ("no se", UNSURE),
        ("no im ok just tired", SAFE),
        ("estoy bien", SAFE),
        ("yes", "yes"),
        ("si", "yes"),
        ("nope", "no"),
        ("PERSON", "person"),
        ("plan", "plan"),
    ],
)
def test_what_her_answer_means(text: str, meaning: str) -> None:
    assert answer(text) == meaning


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("what do i do", "how"),
        ("he's still not waking up", "not_waking"),
        ("i gave narcan and nothing happened", "not_waking"),
        ("she's breathing a little but not waking up", "breathing"),
        ("i dont have narcan", "no_naloxone"),
        ("she's not answering and the door is locked", "locked"),
        ("the ambulance is here", "ems"),
        ("llegaron los paramedicos", "ems"),
        ("no despierta", "not_waking"),
    ],
)
def test_where_an_overdose_is(text: str, stage: str) -> None:
    assert overdose_stage(text) == stage


# --- an overdose, step by step -------------------------------------------------------------


def test_an_overdose_gets_the_next_step_each_time_never_the_first_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_ = {"crisis_active": True, "crisis_type": "overdose"}
    steps = [
        ("she's not answering and the door is locked", "utter_overdose_locked"),
        ("ok im in, what do i do", "utter_overdose_steps"),
        ("i have narcan, gave it, shes blue still nothing", "utter_overdose_second_dose"),
        ("she's breathing a little but not waking up", "utter_overdose_breathing"),
        ("ems is here", "utter_overdose_ems"),
    ]
    step = None
    for text, expected in steps:
        said, slots, _ = followup(monkeypatch, text, crisis_step=step, **open_)
        assert said == [expected], text
        assert "utter_crisis_overdose" not in said
        step = slots["crisis_step"]
    said, slots, _ = followup(monkeypatch, "im ok", crisis_step=step, **open_)
    assert said == ["utter_help_there"] and slots["crisis_active"] is False


def test_an_unclear_overdose_message_moves_on_to_the_next_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_ = {"crisis_active": True, "crisis_type": "overdose"}
    said, slots, _ = followup(monkeypatch, "omg omg", crisis_step=None, **open_)
    assert said == ["utter_overdose_steps"]
    said, _, _ = followup(monkeypatch, "ok", crisis_step=slots["crisis_step"], **open_)
    assert said == ["utter_overdose_second_dose"]


# --- the direct question ------------------------------------------------------------------


def test_yes_to_the_suicide_question_gets_988_a_plan_and_an_alert(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said, slots, fake = followup(
        monkeypatch,
        "yes",
        intent="affirm",
        crisis_asked=True,
        crisis_type="suicide",
        active_loop="find_services_form",
    )
    assert said == ["utter_crisis_suicide", "utter_offer_safety_plan"]
    assert slots["crisis_active"] is True and slots["crisis_asked"] is False
    assert fake.alerts == [
        {
            "client_id": "client-7",
            "kind": "crisis",
            "detail": "suicide",
            "message_sid": "SM0123456789abcdef",
        }
    ]


def test_passive_thoughts_are_taken_seriously_without_panic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said, slots, fake = followup(
        monkeypatch,
        "I won't do anything tonight, I just think about it",
        crisis_asked=True,
        crisis_type="suicide",
    )
    assert said == ["utter_passive_ideation", "utter_offer_safety_plan"]
    assert slots["crisis_step"] == "plan_offer"
    assert fake.alerts and fake.alerts[0]["kind"] == "crisis"
    assert "tonight" not in str(fake.requests)


def test_no_to_the_question_goes_back_to_helping_with_warmth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said, slots, fake = followup(
        monkeypatch,
        "no no just exhausted lol",
        intent="deny",
        crisis_asked=True,
        crisis_type="suicide",
    )
    assert said == ["utter_check_no"]
    assert slots == {"crisis_active": False, "crisis_asked": False, "crisis_step": None}
    assert fake.alerts == []


@pytest.mark.parametrize(
    ("category", "reply"),
    [
        ("overdose", "utter_overdose_steps"),
        ("violence", "utter_crisis_violence"),
        ("medical", "utter_crisis_medical"),
    ],
)
def test_yes_to_another_question_gets_that_crisis_help(
    monkeypatch: pytest.MonkeyPatch, category: str, reply: str
) -> None:
    said, slots, fake = followup(
        monkeypatch, "yes", intent="affirm", crisis_asked=True, crisis_type=category
    )
    assert said == [reply]
    assert slots["crisis_active"] is True
    assert fake.alerts[0]["detail"] == category


def test_a_crisis_as_the_answer_wins_over_no(monkeypatch: pytest.MonkeyPatch) -> None:
    said, _, _ = followup(
        monkeypatch,
        "no. hes back and he has a knife",
        intent="deny",
        judged="violence",
        crisis_asked=True,
        crisis_type="suicide",
    )
    assert said == ["utter_crisis_violence"]


def test_an_answer_that_says_nothing_is_asked_again_once_then_let_go_gently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said, slots, _ = followup(monkeypatch, "lol what", crisis_asked=True, crisis_type="suicide")
    assert said == ["utter_check_again"]
    said, slots, _ = followup(
        monkeypatch,
        "whatever",
        crisis_asked=True,
        crisis_type="suicide",
        crisis_step=slots["crisis_step"],
    )
    assert said == ["utter_crisis_release"]
    assert slots["crisis_active"] is False


# --- after "Are you safe right now?" ------------------------------------------------------


def test_safe_closes_the_crisis(monkeypatch: pytest.MonkeyPatch) -> None:
    said, slots, _ = followup(
        monkeypatch, "yes", intent="affirm", crisis_active=True, crisis_type="violence"
    )
    assert said == ["utter_glad_safe"] and slots["crisis_active"] is False


def test_not_safe_gets_the_lines_again_in_other_words(monkeypatch: pytest.MonkeyPatch) -> None:
    said, _, _ = followup(
        monkeypatch, "no", intent="deny", crisis_active=True, crisis_type="violence"
    )
    assert said == ["utter_not_safe"]


def test_a_zip_code_is_not_a_search_while_she_has_not_said_she_is_safe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said, _, _ = followup(
        monkeypatch,
        "01107",
        intent="inform_location",
        crisis_active=True,
        crisis_type="suicide",
    )
    assert said == ["utter_check_again"]


def test_the_safety_plan_walks_four_steps_and_can_be_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_ = {"crisis_active": True, "crisis_type": "suicide"}
    expected = [
        ("plan", "utter_plan_warning_signs"),
        ("when im alone at night", "utter_plan_reasons"),
        ("SKIP", "utter_plan_people"),
        ("my sister", "utter_plan_safe_home"),
        ("i can give my pills to my sister", "utter_plan_done"),
    ]
    step = "plan_offer"
    for text, response in expected:
        said, slots, _ = followup(monkeypatch, text, crisis_step=step, **open_)
        assert said == [response], text
        step = slots.get("crisis_step")
    assert slots["crisis_active"] is False


def test_the_word_she_was_asked_to_send_opens_the_plan_even_if_the_readers_alarm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Round 23's readers put "plan" alone over the crisis line: her reply to the offer is
    # still the plan's first step, while a plan told in words stays a danger.
    open_ = {"crisis_active": True, "crisis_type": "suicide", "crisis_step": "plan_offer"}
    for text in ("plan", "si plan", "the plan pls"):
        said, slots, _ = followup(monkeypatch, text, judged="suicide", **open_)
        assert said == ["utter_plan_warning_signs"], text
    said, _, _ = followup(
        monkeypatch, "plan is to take all my pills tonight", judged="suicide", **open_
    )
    assert said == ["utter_not_safe"]


def test_a_person_is_asked_for_honestly(monkeypatch: pytest.MonkeyPatch) -> None:
    said, slots, fake = followup(
        monkeypatch, "PERSON", crisis_active=True, crisis_type="suicide", crisis_step="plan_offer"
    )
    assert said == ["utter_human_requested"]
    assert fake.alerts[0]["kind"] == "human_requested"


def test_medical_emergency_follow_up(monkeypatch: pytest.MonkeyPatch) -> None:
    open_ = {"crisis_active": True, "crisis_type": "medical"}
    said, slots, _ = followup(monkeypatch, "ok", intent="affirm", **open_)
    assert said == ["utter_medical_followup"]
    said, slots, _ = followup(monkeypatch, "we're at the hospital now", crisis_step="x", **open_)
    assert said == ["utter_help_there"] and slots["crisis_active"] is False


def test_every_followup_response_exists_in_both_languages() -> None:
    import yaml

    from tests.bot.conftest import REPO

    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    names = [
        "utter_crisis_medical",
        "utter_check_no",
        "utter_check_again",
        "utter_passive_ideation",
        "utter_offer_safety_plan",
        "utter_plan_warning_signs",
        "utter_plan_reasons",
        "utter_plan_people",
        "utter_plan_safe_home",
        "utter_plan_done",
        "utter_crisis_stay",
        "utter_overdose_steps",
        "utter_overdose_second_dose",
        "utter_overdose_breathing",
        "utter_overdose_no_naloxone",
        "utter_overdose_locked",
        "utter_overdose_ems",
        "utter_medical_followup",
        "utter_help_there",
        "utter_crisis_release",
        *(f"utter_crisis_check_{c}" for c in ("suicide", "overdose", "violence", "medical")),
    ]
    for name in names:
        variants = domain["responses"][name]
        languages = {(v.get("condition") or [{}])[0].get("value", "en") for v in variants}
        assert languages == {"en", "es"}, name


def test_a_crisis_as_the_answer_to_the_question_alerts_staff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The guard gave her answer crisis_suicide, whose slot mapping cleared crisis_asked.
    fake = FakeApi()
    t = tracker(
        slots={"crisis_active": True, "crisis_type": "suicide", "crisis_asked": False},
        text="yes i have the pills right here",
        intent="crisis_suicide",
        events_before=[SlotSet("crisis_asked", True)],
        active_loop=None,
    )
    t.latest_message["crisis"] = {"level": "crisis", "category": "suicide"}
    t.events.append(SlotSet("crisis_asked", False))
    dispatcher = CollectingDispatcher()

    async def scenario() -> list[Any]:
        async with running(fake, monkeypatch):
            return await ActionCrisisFollowup().run(dispatcher, t, {})

    asyncio.run(scenario())
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_not_safe",
        "utter_offer_safety_plan",
    ]
    assert fake.alerts == [
        {
            "client_id": "client-7",
            "kind": "crisis",
            "detail": "suicide",
            "message_sid": "SM0123456789abcdef",
        }
    ]


def test_something_else_during_an_overdose_first_asks_if_everyone_is_safe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_ = {"crisis_active": True, "crisis_type": "overdose"}
    said, slots, _ = followup(
        monkeypatch,
        "i need a ride to my appt",
        intent="need_transportation",
        crisis_step="overdose:how",
        **open_,
    )
    assert said == ["utter_check_again"]
    said, slots, _ = followup(
        monkeypatch, "yes", intent="affirm", crisis_step=slots["crisis_step"], **open_
    )
    assert said == ["utter_glad_safe"] and slots["crisis_active"] is False


def test_a_no_to_the_overdose_question_that_says_how_he_is_gets_that_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said, slots, fake = followup(
        monkeypatch,
        "no he woke up after the narcan, he wants to leave now",
        intent="deny",
        crisis_asked=True,
        crisis_type="overdose",
    )
    assert said == ["utter_overdose_breathing"]
    assert slots["crisis_active"] is True and slots["crisis_asked"] is False
    assert slots["crisis_step"] == "overdose:breathing"
    assert fake.alerts[0]["detail"] == "overdose"

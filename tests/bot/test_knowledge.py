"""The knowledge base (data/knowledge/answers.yml) and action_answer_question.

- The file as committed passes the loader's checks, and every answer (and offer) is GSM-7,
  at most 2 SMS segments by the gateway's own count, person-first and dated.
- A wrong entry fails with an error that names the entry and the field.
- Selection: each held-out phrasing (tests/bot/data/knowledge_heldout.yml, written for the
  tests and never copied into the file's questions) gets its topic's answer, in its language;
  a question the file does not cover gets the honest "I don't have that answer".
- The action: the answer, then the offer that sets the offer slot (her "yes" starts the
  search); no answer: the no-answer response and a case manager offer.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge_base
from actions.knowledge import ActionAnswerQuestion
from actions.knowledge_base import KnowledgeError, load_knowledge, parse_knowledge
from actions.taxonomy import load_taxonomy
from sms_text.segments import count_segments, is_gsm7
from tests.bot.fake_api import tracker
from tests.bot.test_responses import WORDS_TO_AVOID

REPO = Path(__file__).resolve().parents[2]
ANSWERS = REPO / "data" / "knowledge" / "answers.yml"
HELDOUT = Path(__file__).resolve().parent / "data" / "knowledge_heldout.yml"


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb() -> knowledge_base.KnowledgeBase:
    return load_knowledge(ANSWERS)


def heldout() -> list[dict[str, Any]]:
    return yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["cases"]


# --- The file -----------------------------------------------------------------------------


def test_every_answer_and_offer_fits_two_sms_segments(kb) -> None:
    for entry in kb.entries:
        texts = dict(entry.answer)
        texts.update({f"offer_text.{k}": v for k, v in (entry.offer_text or {}).items()})
        for field, text in texts.items():
            assert is_gsm7(text), f"{entry.id} {field}: not GSM-7"
            assert count_segments(text) <= 2, f"{entry.id} {field}: {count_segments(text)} SMS"


def test_the_file_covers_the_topics_of_issue_10(kb) -> None:
    ids = {e.id for e in kb.entries}
    assert {
        "dose_changes_pregnancy",
        "split_dosing",
        "switching_medication",
        "missed_doses",
        "take_homes",
        "pharmacy_gap",
        "lost_or_stolen_meds",
        "transfer_clinic",
        "discharge_reentry",
        "same_day_start",
        "nows_baby",
        "baby_followup",
        "breastfeeding_moud",
        "plan_of_safe_care",
        "dcf_and_moud",
        "masshealth_rides",
        "insurance_gap",
        "iop_with_kids",
    } <= ids


def test_every_entry_is_sourced_dated_and_kind(kb) -> None:
    for entry in kb.entries:
        assert entry.source and entry.last_reviewed <= dt.date.today(), entry.id
        for lang, text in entry.answer.items():
            assert not WORDS_TO_AVOID.search(text), f"{entry.id}.{lang}: {text}"
        assert entry.offer is None or entry.offer in (
            set(load_taxonomy()["codes"]) | set(load_taxonomy()["groups"])
        )


def test_spanish_accents_are_simplified_for_sms(raw, kb) -> None:
    """Staff may type accents; what is sent stays GSM-7 (one segment holds 153, not 67)."""
    broken = copy.deepcopy(raw)
    broken["entries"][0]["answer"]["es"] = "Sí, está bien. Pregúntale a tu médico."
    entry = parse_knowledge(broken).entries[0]
    assert entry.answer["es"] == "Si, esta bien. Preguntale a tu médico."  # é is GSM-7


def _broken(raw: dict[str, Any], entry: int, change) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    change(data["entries"][entry])
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e.pop("source"), "source"),
        (lambda e: e.__setitem__("last_reviewed", "last spring"), "last_reviewed"),
        (lambda e: e.__setitem__("last_reviewed", dt.date(2999, 1, 1)), "last_reviewed"),
        (lambda e: e["answer"].pop("es"), "answer.es"),
        (lambda e: e["answer"].__setitem__("en", "word " * 80), "answer.en"),
        (lambda e: e["questions"].__setitem__("en", ["just one"]), "questions.en"),
        (lambda e: e.__setitem__("offer", "pizza_delivery"), "offer"),
        (lambda e: e.__setitem__("answr", "typo"), "answr"),
        (
            lambda e: (e.pop("offer", None), e.__setitem__("offer_text", {"en": "x", "es": "y"})),
            "offer_text",
        ),
    ],
)
def test_a_wrong_entry_names_the_entry_and_the_field(raw, change, field) -> None:
    data = _broken(raw, 1, change)
    entry_id = raw["entries"][1]["id"]
    with pytest.raises(KnowledgeError) as err:
        parse_knowledge(data)
    assert f"entry '{entry_id}'" in str(err.value)
    assert f"'{field}'" in str(err.value)


def test_a_repeated_id_or_question_is_refused(raw) -> None:
    data = copy.deepcopy(raw)
    data["entries"][1]["id"] = data["entries"][0]["id"]
    with pytest.raises(KnowledgeError, match="used twice"):
        parse_knowledge(data)
    data = copy.deepcopy(raw)
    data["entries"][1]["questions"]["en"].append(data["entries"][0]["questions"]["en"][0])
    with pytest.raises(KnowledgeError, match="also a question of entry"):
        parse_knowledge(data)


def test_a_file_that_is_not_yaml_is_refused(tmp_path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("entries: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="not valid YAML"):
        load_knowledge(path)


def test_heldout_phrasings_are_not_copied_into_the_file(kb) -> None:
    def plain(text: str) -> str:
        return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())

    questions = {plain(q) for e in kb.entries for qs in e.questions.values() for q in qs}
    assert not [c["text"] for c in heldout() if plain(c["text"]) in questions]


# --- Selection ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(kb) -> knowledge_base.QuestionIndex:
    return knowledge_base.index()


def test_each_heldout_phrasing_gets_its_topics_answer(index) -> None:
    """Answer-per-topic on held-out phrasings. The selection is not perfect (measured in
    bench/results/knowledge.md); this holds it to what it does today: at most 2 wrong answers
    of 39 and at most 2 honest "I don't know"s, and every topic in the set answered at least
    once."""
    cases = [c for c in heldout() if c["entry"]]
    picks = [(c, index.match(c["text"])[0]) for c in cases]
    wrong = [(c["text"], e.id) for c, e in picks if e and e.id != c["entry"]]
    unanswered = [c["text"] for c, e in picks if e is None]
    assert len(wrong) <= 2, wrong
    assert len(unanswered) <= 2, unanswered
    answered = {c["entry"] for c, e in picks if e and e.id == c["entry"]}
    missing = {c["entry"] for c in cases} - answered
    assert len(missing) <= 2, missing


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("when can i start getting take homes", "take_homes"),
        ("can i still nurse while im on methadone", "breastfeeding_moud"),
        ("mi bebe va a nacer con abstinencia?", "nows_baby"),
        ("como consigo que masshealth me lleve a las citas", "masshealth_rides"),
        ("is there an iop where i can bring my toddler", "iop_with_kids"),
        # round 25 of issue 9: these questions are no longer asked about as a danger
        ("if i call 911 for a friend who ods can the cops arrest me", "good_samaritan_911"),
        ("si llamo al 911 por una sobredosis me pueden arrestar?", "good_samaritan_911"),
        ("is 988 only for suicide or also when im overwhelmed", "crisis_line_988"),
    ],
)
def test_core_topics_are_answered(index, text, entry) -> None:
    found, _ = index.match(text)
    assert found is not None and found.id == entry


def test_what_the_file_does_not_cover_gets_no_answer(index) -> None:
    for case in (c for c in heldout() if c["entry"] is None):
        if case["text"].startswith(("how much", "cuanto")):
            found, score = index.match(case["text"])
            assert found is None, (case["text"], found and found.id, score)
    assert index.match("")[0] is None


# --- The action -----------------------------------------------------------------------------


def run(action, t) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher, events


def test_take_homes_gets_the_answer_then_the_methadone_offer(kb) -> None:
    t = tracker(text="when can i start getting take homes", intent="ask_info", active_loop=None)
    dispatcher, events = run(ActionAnswerQuestion(), t)
    sent = [m["text"] for m in dispatcher.messages]
    entry = kb.get("take_homes")
    assert sent == [entry.answer["en"], entry.offer_text["en"]]
    assert "take-home" in sent[0] and "near you" in sent[1]
    assert events == [SlotSet("offer", "need"), SlotSet("offered", "moud_methadone")]


def test_spanish_gets_the_spanish_answer(kb) -> None:
    t = tracker(
        text="cuando me dan take homes de metadona",
        intent="ask_info",
        active_loop=None,
        slots={"language": "es"},
    )
    dispatcher, _ = run(ActionAnswerQuestion(), t)
    assert dispatcher.messages[0]["text"] == kb.get("take_homes").answer["es"]


def test_an_answer_without_an_offer_leaves_the_offer_closed(kb) -> None:
    t = tracker(text="can u get an epidural on methadone", intent="ask_info", active_loop=None)
    dispatcher, events = run(ActionAnswerQuestion(), t)
    assert [m["text"] for m in dispatcher.messages] == [kb.get("pain_in_labor").answer["en"]]
    assert events == []


def test_no_answer_says_so_and_offers_a_person() -> None:
    t = tracker(text="how much does a car seat cost", intent="ask_info", active_loop=None)
    dispatcher, events = run(ActionAnswerQuestion(), t)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_knowledge_no_answer"]
    assert events == [SlotSet("offer", "human"), SlotSet("offered", None)]


def test_the_no_answer_text_points_to_the_clinic_and_a_person() -> None:
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    en, es = domain["responses"]["utter_knowledge_no_answer"]
    assert "clinic" in en["text"] and "prescriber" in en["text"] and "case manager" in en["text"]
    assert "clinica" in es["text"]
    # a question it cannot answer may be about a danger sign: 911 is in the same text, and the
    # offer of a person stays last (her "yes" answers it)
    assert "call 911 now" in en["text"] and "llama al 911" in es["text"]
    assert en["text"].endswith("reach out to you?") and es["text"].endswith("te contacte?")

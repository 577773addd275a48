"""Every response in domain.yml is SMS-sized, GSM-7, person-first and trauma-informed.

GUIDE.md (shared/domain/GUIDE.md): messages of 1-2 SMS segments, plain words, none of the
words to avoid ("addict", "junkie", "clean/dirty", "abuse", "committed suicide"...), every
question explained and skippable, crisis lines with their exact numbers.
"""

import re
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
import yaml

from actions.find_services import MAX_LABELS
from actions.referral import MAX_SERVICE_CHARS, MAX_SERVICES_CHARS
from actions.sms import MAX_CHARS
from sms_text.segments import gsm7_length, is_gsm7

REPO = Path(__file__).resolve().parents[2]

# The longest values a placeholder may take: her name is cut to 30 characters
# (actions/profile.py), a milestone is like "100 days" ("100 semanas" in Spanish,
# actions/checkin.py), a place's name and a list of places are cut by actions/referral.py.
PLACEHOLDER_VALUES = {
    "preferred_name": "X" * 30,
    "milestone": "100 semanas",
    "service": "X" * MAX_SERVICE_CHARS,
    "services": "X" * MAX_SERVICES_CHARS,
    # action_pause_form: a need's label (data/taxonomy.yml) and " near " (" cerca de ") + a town
    "need_label": "X" * 40,
    "place": " cerca de " + "X" * 25,
    # actions/find_services.py: the needs she named (cut to MAX_LABELS) and the first one
    "need_labels": "X" * MAX_LABELS,
    "first_label": "X" * 40,
    # actions/checkin_preferences.py: a time in words ("8:30am", "medianoche")
    "quiet_start": "X" * 10,
    "quiet_end": "X" * 10,
}

# GUIDE.md "Language": words Tandem never uses, whole words, any case.
WORDS_TO_AVOID = re.compile(
    r"\b(addict|addicts|addicted|addiction|junkie|junkies|clean|dirty|abuse|abuses|abused|"
    r"abuser|abusers|abusing|substance abuse|drug abuse|relapse|relapsed|relapses|"
    r"commit suicide|committed suicide|commits suicide|drug seeking|drug-seeking|"
    r"crack baby|addicted baby|user|users|noncompliant|non-compliant)\b",
    re.IGNORECASE,
)

# Questions about her (not "which number?"): each says why it asks, or can be skipped.
PERSONAL_QUESTIONS = {
    "utter_ask_profile_name": ("SKIP", "I ask"),
    "utter_ask_profile_stage": ("SKIP", "I ask"),
    "utter_ask_profile_stage_after_name": ("SKIP", "I ask"),
    "utter_ask_location": ("SKIP", "I only use it"),
    "utter_ask_missed_reason": ("skip", None),
    "utter_ask_why_not_working": ("skip", "It helps"),
    "utter_checkin_ask_mood": ("skip", None),
}

CRISIS_NUMBERS = {
    "utter_crisis_overdose": {
        "en": ["Call 911 now", "naloxone", "1-800-222-1222", "988"],
        "es": ["911", "naloxona", "1-800-222-1222", "988"],
    },
    "utter_crisis_suicide": {
        "en": ["988", "press 2 for Spanish", "911"],
        "es": ["988", "marca 2", "1-833-852-6262", "911"],
    },
    "utter_crisis_violence": {
        "en": ["911", "1-800-799-7233", "START to 88788"],
        "es": ["911", "1-800-799-7233"],
    },
}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    with (REPO / "domain.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def variants(domain: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, v) for name, vs in domain["responses"].items() for v in vs]


def filled(text: str) -> str:
    return text.format(**PLACEHOLDER_VALUES)


def language_of(variant: dict[str, Any]) -> str:
    for condition in variant.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return "en"


def test_every_response_fits_two_gsm7_segments(domain: dict[str, Any]) -> None:
    for name, variant in variants(domain):
        text = filled(variant["text"])
        assert is_gsm7(text), f"{name}: not GSM-7: {text!r}"
        assert gsm7_length(text) <= MAX_CHARS, f"{name}: {gsm7_length(text)} characters"


def test_placeholders_are_known(domain: dict[str, Any]) -> None:
    slots = set(domain["slots"])
    for name, variant in variants(domain):
        fields = {f for _, f, _, _ in Formatter().parse(variant["text"]) if f}
        assert fields <= slots | set(PLACEHOLDER_VALUES), (name, fields)


def test_no_response_uses_a_word_to_avoid(domain: dict[str, Any]) -> None:
    for name, variant in variants(domain):
        found = WORDS_TO_AVOID.findall(variant["text"])
        assert not found, f"{name} uses {found}"


def test_the_word_list_catches_what_guide_md_forbids() -> None:
    for bad in [
        "an addict",
        "stay clean",
        "dirty urine",
        "substance abuse",
        "she committed suicide",
        "after a relapse",
        "Addicted baby",
    ]:
        assert WORDS_TO_AVOID.search(bad), bad
    for fine in ["in recovery", "a slip", "return to use", "died by suicide", "testing negative"]:
        assert not WORDS_TO_AVOID.search(fine), fine


def test_personal_questions_say_why_and_can_be_skipped(domain: dict[str, Any]) -> None:
    for name, (skip, why) in PERSONAL_QUESTIONS.items():
        for variant in domain["responses"][name]:
            assert skip in variant["text"], f"{name} does not say it can be skipped"
            if why and language_of(variant) == "es":
                assert "Pregunto" in variant["text"], f"{name} (es) does not say why it asks"
            elif why:
                assert why in variant["text"], f"{name} does not say why it asks"


def test_crisis_texts_have_the_exact_lines_in_both_languages(domain: dict[str, Any]) -> None:
    for name, expected in CRISIS_NUMBERS.items():
        by_language = {language_of(v): v["text"] for v in domain["responses"][name]}
        assert set(by_language) == {"en", "es"}, name
        for language, needles in expected.items():
            for needle in needles:
                assert needle in by_language[language], (name, language, needle)
    assert domain["responses"]["utter_crisis_overdose"][0]["text"].startswith("Call 911 now")


def test_english_comes_first_without_a_condition(domain: dict[str, Any]) -> None:
    """The SMS gateway sends the first variant when Rasa is down (services/nlg/responses.py)."""
    for name, vs in domain["responses"].items():
        assert "condition" not in vs[0], name


def test_spanish_variants_are_spanish_and_conditioned_on_the_language_slot(
    domain: dict[str, Any],
) -> None:
    assert "es" in domain["slots"]["language"]["values"]
    spanish = [(n, v) for n, v in variants(domain) if language_of(v) == "es"]
    assert {n for n, _ in spanish} >= {
        "utter_crisis_overdose",
        "utter_crisis_suicide",
        "utter_crisis_violence",
        "utter_ask_safe",
        "utter_ask_safe_first",
        "utter_glad_safe",
        "utter_not_safe",
    }
    for name, variant in spanish:
        assert re.search(
            r"\b(llama|estas|aqui|ahora|gracias|tu|su|para|numero|escribe|puedes)\b",
            variant["text"],
            re.IGNORECASE,
        ), name


def test_no_number_meant_for_providers_only(domain: dict[str, Any]) -> None:
    """MCPAP for Moms is for providers: never give it to a woman as her number."""
    for name, variant in variants(domain):
        assert "855-666-6272" not in variant["text"], name


def test_every_number_is_a_line_from_guide_md(domain: dict[str, Any]) -> None:
    known = {
        "911",
        "988",
        "1-800-222-1222",
        "1-800-799-7233",
        "88788",
        "1-833-852-6262",
        "1-800-944-4773",
        "1-800-662-4357",
        "741741",
        "833-773-2445",
        "800-327-5050",
        "800-972-0590",
        "877-785-2020",
    }
    for name, variant in variants(domain):
        numbers = set(
            re.findall(r"\b(?:1-)?\d{3}-\d{3}-\d{4}\b|\b9[18][18]\b|\b\d{5,6}\b", variant["text"])
        )
        assert numbers <= known, (name, numbers - known)

"""The NLU training data (data/nlu) and the held-out test set (tests/nlu) stay apart, and the
test set is big and broad enough to measure the NLU by (bench/nlu_eval.py)."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TEST_SET_DIR = REPO / "tests" / "nlu"


def examples(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), str(block["intent"])))
    return pairs


def plain(text: str) -> str:
    """The text without entity annotations, quotes or punctuation, lowercased."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\{[^}]+\}", r"\1", text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    text = re.sub(r"[^\w#]+", " ", text.lower())  # punctuation and hyphens do not count
    return " ".join(text.split())


@pytest.fixture(scope="module")
def training() -> list[tuple[str, str]]:
    paths = sorted((REPO / "data" / "nlu").glob("*.yml"))
    return [pair for path in paths for pair in examples(path)]


@pytest.fixture(scope="module")
def test_set() -> list[tuple[str, str]]:
    return [pair for path in sorted(TEST_SET_DIR.glob("*.yml")) for pair in examples(path)]


@pytest.fixture(scope="module")
def domain_intents() -> set[str]:
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}


def test_no_test_example_appears_in_the_training_data(training, test_set) -> None:
    trained = {plain(text) for text, _ in training}
    copied = sorted({text for text, _ in test_set if plain(text) in trained})
    assert not copied, f"test examples copied into data/nlu: {copied}"


def test_the_test_set_is_large_and_covers_every_intent(test_set, domain_intents) -> None:
    assert len(test_set) >= 300
    counts = Counter(intent for _, intent in test_set)
    # Given only by the crisis judgement and measured on blind sets (bench/safety_eval.py).
    # EXTERNAL_ intents are triggered by Tandem (a check-in sent), never said.
    external = {i for i in domain_intents if i.startswith("EXTERNAL_")}
    expected = domain_intents - {"crisis_check", "crisis_medical"} - external
    assert set(counts) == expected, set(counts) ^ expected
    thin = {intent: n for intent, n in counts.items() if n < 5}
    assert not thin, f"intents with fewer than 5 test examples: {thin}"


def test_the_test_set_has_no_duplicates(test_set) -> None:
    counts = Counter(plain(text) for text, _ in test_set)
    assert not [t for t, n in counts.items() if n > 1]


def test_the_test_set_is_realistic_sms(test_set) -> None:
    """Shorthand, typos and Spanish are part of the set, not an afterthought."""
    texts = [plain(t) for t, _ in test_set]
    shorthand = re.compile(r"\b(u|ur|r|rn|idk|appt|appts|subs|bupe|tmrw|pls|plz|thx|ty|bf|wanna)\b")
    assert sum(1 for t in texts if shorthand.search(t)) >= 30
    spanish = re.compile(r"\b(necesito|quiero|tengo|estoy|mi|el|la|que|para|por|de)\b")
    assert sum(1 for t in texts if spanish.search(t)) >= 25


def test_every_domain_intent_has_training_examples(training, domain_intents) -> None:
    trained = Counter(intent for _, intent in training)
    # crisis_check is only ever given by the crisis judgement (bot/crisis_guard.py), an
    # EXTERNAL_ intent by Tandem itself (trigger_intent: a check-in sent).
    external = {i for i in domain_intents if i.startswith("EXTERNAL_")}
    expected = domain_intents - {"crisis_check"} - external
    assert set(trained) == expected, set(trained) ^ expected

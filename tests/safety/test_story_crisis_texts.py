"""Every crisis text in a story is one the crisis judgement really gives that intent.

`rasa test core` takes a story's intent label as given and never reads the text, so a
story could "pass" with a crisis message the bot would miss. This test reads the texts.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from safety.judge import SafetyJudge, default_judge  # noqa: E402

STORY_FILES = sorted(
    path
    for folder in ("tests/bot/stories", "data/stories", "data/rules")
    for path in (_REPO / folder).glob("*.yml")
)
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")


def crisis_turns() -> list[tuple[str, str, str]]:
    """(file, text, intent) of every user turn labelled with a crisis intent."""
    turns = []
    for path in STORY_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in (data.get("stories") or []) + (data.get("rules") or []):
            for step in block.get("steps") or []:
                intent, text = step.get("intent", ""), step.get("user")
                if intent.startswith("crisis_") and text:
                    turns.append((path.name, _ANNOTATION.sub(r"\1", text).strip(), intent))
    return turns


TURNS = crisis_turns()


@pytest.fixture(scope="module")
def judge() -> SafetyJudge:
    return default_judge()


def test_there_are_crisis_turns_to_check():
    assert len(TURNS) >= 5


@pytest.mark.parametrize(("source", "text", "intent"), TURNS)
def test_story_crisis_text_is_recognised(judge, source, text, intent):
    judgement = judge.judge(text)
    assert judgement.intent == intent, f"{source}: {text!r} -> {judgement}"

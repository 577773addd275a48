"""Whether her message reads as an explicit YES to a consent text: the rule in
data/consent/yes.yml, which the bot's grant action applies too (defence in depth: the service
never records a signature the bot's intent classifier alone decided was a yes)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from safety.crisis import normalize
from services.settings import DATA_DIR

YES_RULE_PATH = DATA_DIR / "consent" / "yes.yml"


@dataclass(frozen=True)
class YesRule:
    yes: frozenset[str]
    also: frozenset[str]
    max_words: int
    not_if_contains: str

    def reads_as_yes(self, text: str) -> bool:
        if any(ch in text for ch in self.not_if_contains):
            return False
        words = normalize(text).split()
        return (
            0 < len(words) <= self.max_words
            and all(w in self.yes or w in self.also for w in words)
            and any(w in self.yes for w in words)
        )


@cache
def load_yes_rule(path: Path = YES_RULE_PATH) -> YesRule:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return YesRule(
        yes=frozenset(map(str, data["yes_words"])),
        also=frozenset(map(str, data["other_words"])),
        max_words=int(data["max_words"]),
        not_if_contains=str(data.get("not_if_contains") or ""),
    )


def reads_as_yes(text: str) -> bool:
    return load_yes_rule().reads_as_yes(text)

"""Whether her message reads as an explicit YES to the consent text: the rule in
data/consent/yes.yml, which the referral service applies again before it records her
signature. The intent classifier decides that she is answering; this decides that the answer
is a signature."""

import functools
import os
from pathlib import Path

import yaml

from safety.crisis import normalize

DEFAULT_YES_RULE_PATH = Path(__file__).resolve().parents[1] / "data" / "consent" / "yes.yml"


@functools.lru_cache(maxsize=1)
def _rule() -> dict:
    path = Path(os.environ.get("TANDEM_YES_RULE_PATH") or DEFAULT_YES_RULE_PATH)
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return {
        "yes": frozenset(map(str, data["yes_words"])),
        "other": frozenset(map(str, data["other_words"])),
        "max_words": int(data["max_words"]),
        "not_if_contains": str(data.get("not_if_contains") or ""),
    }


def reads_as_yes(text: str) -> bool:
    rule = _rule()
    if any(ch in text for ch in rule["not_if_contains"]):
        return False
    words = normalize(text).split()
    return (
        0 < len(words) <= rule["max_words"]
        and all(w in rule["yes"] or w in rule["other"] for w in words)
        and any(w in rule["yes"] for w in words)
    )

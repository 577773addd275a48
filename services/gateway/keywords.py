"""STOP / START / HELP and plain-language opt-outs, from data/gateway/keywords.yml."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml

from services.settings import DATA_DIR

KEYWORDS_PATH = DATA_DIR / "gateway" / "keywords.yml"


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


@dataclass(frozen=True)
class Keywords:
    words: dict[str, Keyword]
    plain_opt_out: tuple[re.Pattern[str], ...]

    def classify(self, body: str, *, opted_out: bool) -> Keyword | None:
        text = _normalise(body)
        keyword = self.words.get(text.upper())
        if keyword is Keyword.OPT_IN and text == "yes" and not opted_out:
            return None  # YES is an answer to the bot unless she is opted out
        if keyword is not None:
            return keyword
        if any(p.fullmatch(text) for p in self.plain_opt_out):
            return Keyword.OPT_OUT
        return None


@cache
def load_keywords(path: Path = KEYWORDS_PATH) -> Keywords:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    words = {str(w).upper(): kind for kind in Keyword for w in data[kind.value]}
    return Keywords(words, tuple(re.compile(p) for p in data.get("plain_opt_out", [])))

"""Service needs from data/taxonomy.yml: the need a need_* intent names, and a need narrowed
to a code from the words she used.

The file is read on first use (not at import) and cached for the life of the process.
"""

import functools
import os
import re
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parents[1] / "data" / "taxonomy.yml"


@functools.lru_cache(maxsize=1)
def load_taxonomy() -> dict[str, Any]:
    path = Path(os.environ.get("TANDEM_TAXONOMY_PATH") or DEFAULT_TAXONOMY_PATH)
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    return {
        "codes": data.get("codes") or {},
        "groups": data.get("groups") or {},
        "features": data.get("features") or {},
    }


def normalise(text: str) -> str:
    """Lowercase, with typographic apostrophes made plain (how keywords are matched)."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


@functools.lru_cache(maxsize=512)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # Whole words: "sub" matches "a sub doctor", not "subway".
    return re.compile(r"(?<!\w)" + re.escape(keyword.lower()) + r"(?!\w)")


def mentions(text: str, keywords: list[str]) -> bool:
    norm = normalise(text)
    return any(_keyword_pattern(str(k)).search(norm) for k in keywords)


def label_of(need: str, language: str = "en") -> str:
    """Her need in words: "moud_methadone" -> "methadone" (or its Spanish label)."""
    taxonomy = load_taxonomy()
    spec = taxonomy["codes"].get(need) or taxonomy["groups"].get(need) or {}
    label = spec.get("label_es") if language == "es" else None
    return str(label or spec.get("label") or need.replace("_", " "))


def join_labels(needs: list[str], language: str = "en") -> str:
    """ "methadone, rides and childcare" ("metadona, transporte y cuidado de niños")."""
    labels = [label_of(n, language) for n in needs]
    last = " y " if language == "es" else " and "
    return last.join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else "".join(labels)


def feature_label(feature: str, language: str = "en") -> str:
    """A feature in words: "masshealth" -> "takes MassHealth" ("acepta MassHealth" in
    Spanish; the English label when there is no Spanish one)."""
    spec = load_taxonomy()["features"].get(feature)
    spec = spec if isinstance(spec, dict) else {}
    label = spec.get("label_es") if language == "es" else None
    return str(label or spec.get("label") or feature.replace("_", " "))


# A need intent is named after the taxonomy key it asks for ("need_moud" -> group "moud"),
# so the taxonomy is the one list of needs: no mapping per intent to keep in step.
NEED_INTENT_PREFIX = "need_"


def need_of_intent(intent: str | None) -> str | None:
    """The taxonomy group or code a need_* intent names, or None for any other intent."""
    if not intent or not intent.startswith(NEED_INTENT_PREFIX):
        return None
    key = intent[len(NEED_INTENT_PREFIX) :]
    taxonomy = load_taxonomy()
    return key if key in taxonomy["groups"] or key in taxonomy["codes"] else None


def needs_she_can_name() -> list[str]:
    """The taxonomy keys a need_* intent stands for: every group, and every code in no group
    (a code in a group, "moud_methadone", is reached by narrowing its group: refine_need)."""
    taxonomy = load_taxonomy()
    grouped = {c for g in taxonomy["groups"].values() for c in g.get("codes") or []}
    return [*taxonomy["groups"], *(c for c in taxonomy["codes"] if c not in grouped)]


def refine_need(need: str | None, text: str | None) -> str | None:
    """The taxonomy code or group to search for.

    A group ("moud") becomes the first of its codes, in taxonomy order, whose keyword she
    used ("help getting on suboxone" -> "moud_buprenorphine"); with no keyword it stays the
    group. A code stays as it is. Anything else is not a need: None.
    """
    if not need:
        return None
    taxonomy = load_taxonomy()
    codes, groups = taxonomy["codes"], taxonomy["groups"]
    if need in codes:
        return need
    if need not in groups:
        return None
    members = set(groups[need].get("codes") or [])
    if text:
        for code, spec in codes.items():  # taxonomy order: specific codes first
            if code in members and mentions(text, list(spec.get("keywords") or [])):
                return code
    return need

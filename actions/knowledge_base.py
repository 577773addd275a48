"""The staff-edited knowledge base, data/knowledge/answers.yml: its entries (checked on load)
and the matcher that finds the entry for her question. The action that answers with it is
actions/knowledge.py; other actions read an entry by id (the search's "what to do today").

Her text is matched against each entry's example questions with the multilingual sentence
embeddings of safety/embedding.py (cosine similarity; the best question's score is the
entry's score). The questions are embedded once, at action-server start-up (warm_up), and
the file is checked then too: a wrong entry stops the start-up with an error that names the
entry and the field. Measured against keyword (TF-IDF) matching on blind texts:
bench/knowledge_eval.py, bench/results/knowledge.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from actions.sms import MAX_CHARS, gsm7_length, to_gsm7
from actions.taxonomy import load_taxonomy

DEFAULT_KNOWLEDGE_PATH = Path(__file__).resolve().parents[1] / "data" / "knowledge" / "answers.yml"
LANGUAGES = ("en", "es")
MIN_QUESTIONS = {"en": 3, "es": 1}
# An entry's score (QuestionIndex): its TOP_K closest questions' mean cosine similarity plus
# TFIDF_WEIGHT times its closest question's character n-gram similarity. Chosen on blind and
# held-out texts (bench/knowledge_eval.py, bench/results/knowledge.md).
TOP_K = 2
TFIDF_WEIGHT = 0.3
THRESHOLD = 0.6
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class KnowledgeError(ValueError):
    """answers.yml is wrong: the message names the entry and the field."""


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]  # as sent: GSM-7
    source: str
    last_reviewed: dt.date
    offer: str | None
    offer_text: dict[str, str] | None  # as sent: GSM-7


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]

    def get(self, entry_id: str) -> Entry:
        return next(e for e in self.entries if e.id == entry_id)


def _fail(where: str, field: str, problem: str) -> KnowledgeError:
    return KnowledgeError(f"answers.yml: {where}, field '{field}': {problem}")


def _texts(raw: Any, where: str, field: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _fail(where, field, "needs 'en' and 'es' texts")
    out = {}
    for lang in LANGUAGES:
        text = raw.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise _fail(where, f"{field}.{lang}", "missing or empty")
        sent = to_gsm7(" ".join(text.split()))
        if gsm7_length(sent) > MAX_CHARS:
            raise _fail(
                where,
                f"{field}.{lang}",
                f"{gsm7_length(sent)} characters, more than 2 SMS segments ({MAX_CHARS})",
            )
        out[lang] = sent
    extra = set(raw) - set(LANGUAGES)
    if extra:
        raise _fail(where, field, f"unknown languages {sorted(extra)}")
    return out


def _entry(raw: Any, n: int, offer_codes: set[str], default_offer: dict[str, str]) -> Entry:
    if not isinstance(raw, dict):
        raise _fail(f"entry #{n}", "-", "must be a mapping")
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        raise _fail(f"entry #{n}", "id", "missing, or not lowercase_with_underscores")
    where = f"entry '{entry_id}'"
    known = {"id", "topic", "questions", "answer", "source", "last_reviewed", "offer", "offer_text"}
    if set(raw) - known:
        raise _fail(where, ",".join(sorted(set(raw) - known)), "unknown field")
    topic = raw.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        raise _fail(where, "topic", "missing or empty")

    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, dict):
        raise _fail(where, "questions", "needs 'en' and 'es' lists")
    questions: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        qs = questions_raw.get(lang)
        if not isinstance(qs, list) or not all(isinstance(q, str) and q.strip() for q in qs):
            raise _fail(where, f"questions.{lang}", "must be a list of texts")
        if len(qs) < MIN_QUESTIONS[lang]:
            raise _fail(where, f"questions.{lang}", f"needs at least {MIN_QUESTIONS[lang]}")
        questions[lang] = tuple(q.strip() for q in qs)

    answer = _texts(raw.get("answer"), where, "answer")

    source = raw.get("source")
    if not isinstance(source, str) or len(source.strip()) < 5:
        raise _fail(where, "source", "missing: name the source (title, link)")

    reviewed = raw.get("last_reviewed")
    if isinstance(reviewed, str):
        try:
            reviewed = dt.date.fromisoformat(reviewed)
        except ValueError:
            pass
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        raise _fail(where, "last_reviewed", "must be a date, YYYY-MM-DD")
    if reviewed > dt.date.today():
        raise _fail(where, "last_reviewed", f"{reviewed} is in the future")

    offer = raw.get("offer")
    offer_text = None
    if offer is not None:
        if not isinstance(offer, str) or offer not in offer_codes:
            raise _fail(where, "offer", f"{offer!r} is not a service code in data/taxonomy.yml")
        if raw.get("offer_text") is not None:
            offer_text = _texts(raw["offer_text"], where, "offer_text")
        else:
            offer_text = {
                lang: default_offer[lang].replace("{label}", _label(offer, lang))
                for lang in LANGUAGES
            }
            offer_text = _texts(offer_text, where, "offer (default offer text)")
    elif raw.get("offer_text") is not None:
        raise _fail(where, "offer_text", "given without an 'offer' code")

    return Entry(
        entry_id, topic.strip(), questions, answer, source.strip(), reviewed, offer, offer_text
    )


def _label(code: str, lang: str) -> str:
    taxonomy = load_taxonomy()
    spec = taxonomy["codes"].get(code) or taxonomy["groups"].get(code) or {}
    label = spec.get("label_es") if lang == "es" else spec.get("label")
    return str(label or spec.get("label") or code.replace("_", " "))


def parse_knowledge(data: Any) -> KnowledgeBase:
    """Check the file's content; KnowledgeError names the entry and field that are wrong."""
    if not isinstance(data, dict):
        raise KnowledgeError("answers.yml: the file must be a mapping with 'entries'")
    taxonomy = load_taxonomy()
    offer_codes = set(taxonomy["codes"]) | set(taxonomy["groups"])
    default_raw = data.get("offer_default")
    if not isinstance(default_raw, dict) or not all(
        isinstance(default_raw.get(lang), str) and "{label}" in default_raw[lang]
        for lang in LANGUAGES
    ):
        raise _fail("top level", "offer_default", "needs 'en' and 'es' texts with {label}")
    entries_raw = data.get("entries")
    if not isinstance(entries_raw, list) or not entries_raw:
        raise _fail("top level", "entries", "must be a non-empty list")
    entries = [_entry(raw, n, offer_codes, default_raw) for n, raw in enumerate(entries_raw, 1)]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise _fail(f"entry '{entry.id}'", "id", "used twice")
        seen.add(entry.id)
    owner: dict[str, str] = {}
    for entry in entries:
        for q in (q for qs in entry.questions.values() for q in qs):
            key = " ".join(q.lower().split())
            if key in owner and owner[key] != entry.id:
                raise _fail(
                    f"entry '{entry.id}'",
                    "questions",
                    f"{q!r} is also a question of entry '{owner[key]}'",
                )
            owner[key] = entry.id
    return KnowledgeBase(tuple(entries))


def load_knowledge(path: Path | str | None = None) -> KnowledgeBase:
    path = Path(path or os.environ.get("TANDEM_KNOWLEDGE_PATH") or DEFAULT_KNOWLEDGE_PATH)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise KnowledgeError(f"answers.yml is not valid YAML: {err}") from err
    return parse_knowledge(data)


class QuestionIndex:
    """Every entry's example questions (both languages), as unit sentence embeddings and as
    TF-IDF vectors of character 1-4-grams.

    An entry's score for her text: the mean cosine similarity of its two closest questions in
    meaning, plus TFIDF_WEIGHT times the character n-gram similarity of its closest question
    (which keeps the words of her question: "epidural", "take homes", "pt-1"). On the blind
    texts this picks the right entry for 33 of 42 questions against 29 for the closest
    question's embedding alone (bench/results/knowledge.md).
    """

    def __init__(self, kb: KnowledgeBase, embed=None) -> None:
        if embed is None:
            from safety.embedding import embed
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.kb = kb
        self._embed = embed
        owners: list[int] = []
        texts: list[str] = []
        for i, entry in enumerate(kb.entries):
            for qs in entry.questions.values():
                texts.extend(qs)
                owners.extend([i] * len(qs))
        self._owners = np.asarray(owners)
        self._rows = [np.flatnonzero(self._owners == i) for i in range(len(kb.entries))]
        self._vectors = np.asarray(embed(texts), dtype=np.float32)
        self._tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
        self._ngrams = self._tfidf.fit_transform([to_gsm7(t.lower()) for t in texts])

    def scores(self, text: str) -> list[tuple[Entry, float]]:
        """Each entry with its score for the text, best first."""
        vector = np.asarray(self._embed([text]), dtype=np.float32)[0]
        sims = self._vectors @ vector
        grams = (self._ngrams @ self._tfidf.transform([to_gsm7(text.lower())]).T).toarray()
        grams = grams.ravel()
        out = []
        for entry, rows in zip(self.kb.entries, self._rows, strict=True):
            top = np.sort(sims[rows])[-TOP_K:]
            out.append((entry, float(top.mean() + TFIDF_WEIGHT * grams[rows].max())))
        return sorted(out, key=lambda pair: -pair[1])

    def match(self, text: str, threshold: float = THRESHOLD) -> tuple[Entry | None, float]:
        """The closest entry, or None when none is close enough."""
        if not (text or "").strip():
            return None, 0.0
        entry, score = self.scores(text)[0]
        return (entry if score >= threshold else None), score


_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _index() -> QuestionIndex:
    return QuestionIndex(load_knowledge())


def index() -> QuestionIndex:
    with _lock:
        return _index()


def warm_up() -> None:
    """Check answers.yml and embed its questions (action-server start-up): a wrong entry stops
    the start-up, and her first question is not the slow one."""
    index()

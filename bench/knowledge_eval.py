"""Which entry of data/knowledge/answers.yml answers her question: measure the selection.

Three ways to pick the entry are compared on the same texts:
- embedding: the entry of the closest example question by cosine similarity of the
  multilingual sentence embeddings of safety/embedding.py;
- tfidf: the same nearest-question match on TF-IDF vectors of character 1-4-grams (the
  sparse features a Rasa ResponseSelector would get from this repo's CountVectorsFeaturizer
  pipeline), a keyword baseline that needs no training;
- hybrid: what actions/knowledge.py does (QuestionIndex): the mean similarity of an entry's
  two closest questions plus 0.3 times the tfidf similarity.

Texts: the 44 texts labelled ask_info in bench/blind/nlu_A.yml (written blind; each with the
entry expected for its `topic`, or none when the file has no answer for it), and the
held-out phrasings in tests/bot/data/knowledge_heldout.yml. No example question in the file
may be a near copy of a blind text (checked first: word overlap).

    .venv-bot/bin/python -m bench.knowledge_eval [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from actions.knowledge_base import THRESHOLD, QuestionIndex, load_knowledge  # noqa: E402

BLIND = REPO / "bench" / "blind" / "nlu_A.yml"
HELDOUT = REPO / "tests" / "bot" / "data" / "knowledge_heldout.yml"

# The blind texts' topics, as the writers named them, to the entry that answers them; None:
# the file has no answer (the bot must say so and point her to her clinic or prescriber).
BLIND_EXPECTED = {
    "na206": "missed_doses",
    "na207": "take_homes",
    "na208": "split_dosing",
    "na209": "dose_changes_pregnancy",
    "na210": "breastfeeding_moud",
    "na211": "lost_or_stolen_meds",
    "na212": "pharmacy_gap",
    "na213": "nows_baby",
    "na214": "eat_sleep_console",
    "na215": "dcf_and_moud",
    "na216": "plan_of_safe_care",
    "na217": "switching_medication",
    "na218": "pain_in_labor",
    "na219": "travel_guest_dosing",
    "na220": "masshealth_postpartum",
    "na221": "masshealth_rides",
    "na222": "iop_with_kids",
    "na223": "buprenorphine_forms",
    "na224": "buprenorphine_forms",
    "na225": "transfer_clinic",
    "na226": "same_day_start",
    "na227": None,
    "na228": "dcf_and_moud",
    "na229": "baby_followup",
    "na230": "take_homes",
    "na231": "naltrexone_pregnancy",
    "na232": "pharmacy_gap",
    "na233": "wic_formula",
    "na234": "insurance_gap",
    "na235": "narcan_pregnancy",
    "na236": "missed_doses",
    "na237": "dose_changes_pregnancy",
    "na238": None,
    "na239": "missed_doses",
    "na240": "breastfeeding_moud",
    "na241": "nows_baby",
    "na242": "dcf_and_moud",
    "na243": "take_homes",
    "na244": "travel_guest_dosing",
    "na245": "masshealth_rides",
    "na246": "lost_or_stolen_meds",
    "na247": "split_dosing",
    "na248": "plan_of_safe_care",
    "na249": "baby_followup",
}


def words(text: str) -> set[str]:
    return set(re.sub(r"[^\w]+", " ", text.lower()).split())


def blind_cases() -> list[tuple[str, str | None]]:
    cases = yaml.safe_load(BLIND.read_text(encoding="utf-8"))["cases"]
    asked = [c for c in cases if c.get("category") == "ask_info"]
    assert {c["id"] for c in asked} == set(BLIND_EXPECTED), "nlu_A's ask_info ids changed"
    return [(c["text"], BLIND_EXPECTED[c["id"]]) for c in asked]


def heldout_cases() -> list[tuple[str, str | None]]:
    cases = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["cases"]
    return [(c["text"], c["entry"]) for c in cases]


def near_copies(questions: list[str], texts: list[str], limit: float = 0.6) -> list[tuple]:
    out = []
    for q in questions:
        for t in texts:
            a, b = words(q), words(t)
            jaccard = len(a & b) / max(1, len(a | b))
            if jaccard >= limit:
                out.append((round(jaccard, 2), q, t))
    return out


class TfidfIndex:
    def __init__(self, questions: list[str], owners: list[int]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([q.lower() for q in questions])
        self.owners = np.asarray(owners)

    def best(self, text: str, n_entries: int) -> tuple[int, float]:
        sims = (self.matrix @ self.vectorizer.transform([text.lower()]).T).toarray().ravel()
        best = np.full(n_entries, -1.0)
        np.maximum.at(best, self.owners, sims)
        i = int(np.argmax(best))
        return i, float(best[i])


def evaluate(
    name: str,
    picks: list[tuple[str | None, float]],
    cases: list[tuple[str, str | None]],
    threshold: float,
) -> dict[str, float]:
    covered = [(p, c) for p, c in zip(picks, cases, strict=True) if c[1] is not None]
    uncovered = [(p, c) for p, c in zip(picks, cases, strict=True) if c[1] is None]
    top1 = sum(p[0] == c[1] for p, c in covered) / max(1, len(covered))
    right = sum(p[0] == c[1] and p[1] >= threshold for p, c in covered)
    wrong = sum(p[0] != c[1] and p[1] >= threshold for p, c in covered)
    declined = sum(p[1] < threshold for p, c in covered)
    refused = sum(p[1] < threshold for p, c in uncovered)
    return {
        "top1": top1,
        "right": right,
        "wrong": wrong,
        "declined": declined,
        "covered": len(covered),
        "refused": refused,
        "uncovered": len(uncovered),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--emb-threshold", type=float, default=0.5)
    parser.add_argument("--tfidf-threshold", type=float, default=0.5)
    parser.add_argument("--misses", action="store_true", help="print each wrong pick")
    args = parser.parse_args(argv)

    kb = load_knowledge()
    ids = [e.id for e in kb.entries]
    questions, owners = [], []
    for i, entry in enumerate(kb.entries):
        for qs in entry.questions.values():
            questions.extend(qs)
            owners.extend([i] * len(qs))

    blind = blind_cases()
    copies = near_copies(questions, [t for t, _ in blind])
    print(
        f"example questions: {len(questions)} in {len(ids)} entries; near copies of blind "
        f"texts (word Jaccard >= 0.6): {len(copies)}"
    )
    for c in copies:
        print("  COPY", c)

    from safety.embedding import embed

    hybrid = QuestionIndex(kb)
    tfidf = TfidfIndex(questions, owners)
    vectors = embed(questions)
    for set_name, cases in (("blind nlu_A ask_info", blind), ("held-out", heldout_cases())):
        print(
            f"\n== {set_name}: {len(cases)} texts "
            f"({sum(1 for _, e in cases if e is None)} the file does not cover)"
        )
        emb_picks, hyb_picks = [], []
        for text, _ in cases:
            sims = vectors @ embed([text])[0]
            emb_picks.append((ids[owners[int(np.argmax(sims))]], float(sims.max())))
            entry, score = hybrid.scores(text)[0]
            hyb_picks.append((entry.id, score))
        tf_picks = []
        for text, _ in cases:
            i, score = tfidf.best(text, len(ids))
            tf_picks.append((ids[i], score))
        for name, picks, thr in (
            ("embedding", emb_picks, args.emb_threshold),
            ("tfidf", tf_picks, args.tfidf_threshold),
            ("hybrid", hyb_picks, args.threshold),
        ):
            r = evaluate(name, picks, cases, thr)
            print(
                f"{name:9s} top-1 {r['top1']:.3f} | at threshold {thr}: right {r['right']}, "
                f"wrong {r['wrong']}, declined {r['declined']} of {r['covered']} covered; "
                f"declined {r['refused']} of {r['uncovered']} not covered"
            )
        if args.misses:
            for (text, want), (got, score) in zip(cases, hyb_picks, strict=True):
                if got != want or score < args.threshold:
                    print(f"  hybrid {score:.2f} want={want} got={got}: {text}")
        print("hybrid threshold sweep (right/wrong/declined of covered; declined of uncovered):")
        for thr in (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75):
            r = evaluate("hybrid", hyb_picks, cases, thr)
            print(
                f"  {thr:.2f}: {r['right']}/{r['wrong']}/{r['declined']}  "
                f"{r['refused']}/{r['uncovered']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

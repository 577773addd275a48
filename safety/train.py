"""Train the risk and opt-out models from the labelled texts in data/ (``make safety-model``).

Runs in the bot venv (scikit-learn, numpy); the models it writes are plain JSON that
``safety.textmodel`` reads in either runtime without them. Deterministic: the same data gives
the same file, and each file records the hash of the data it was trained on (a test checks it).

Training texts: ``safety/training_data.py``.

Thresholds come from 5-fold out-of-fold predictions on the tricky everyday texts (``none`` in
the TSV files, not the easy NLU examples): ``ask`` lets through about 4% of them as a direct
question, ``crisis`` about 1% as a crisis reply. Recall on unseen texts is measured by
``bench/safety_eval.py`` on sets written blind, never here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from safety.judge import HISTORY_TEXTS  # noqa: E402
from safety.textmodel import FORMAT, FORMAT_VERSION, features  # noqa: E402
from safety.training_data import (  # noqa: E402
    OPTOUT_LABELS,
    OPTOUT_MODEL,
    RISK_LABELS,
    RISK_MODEL,
    data_hash,
    nlu_rows,
    stale_models,
    tsv_rows,
)

C = 16.0
# Tricky everyday texts weigh more than the easy NLU examples: they are the hard negatives.
TRICKY_WEIGHT = 3.0
NLU_WEIGHT = 0.5
# A lexicon phrase in a text the model finds this unlikely to be a crisis is asked about
# instead of alarmed (past overdoses, a TV show, learning the signs), never ignored. Chosen on
# out-of-fold scores of the blind sets already used for training (A, B): it halves the false
# crisis replies there at no cost in crisis-or-question recall.
LEXICON_FLOOR = 0.4
# Quantiles of the out-of-fold risk of tricky everyday texts: above ASK_QUANTILE Tandem asks
# (about 5% of them), above CRISIS_QUANTILE it answers with the crisis reply (about 1.5%).
ASK_QUANTILE = 0.95
CRISIS_QUANTILE = 0.985
MIN_COUNT = 2
DECIMALS = 4


def matrix(texts: list[str], vocabulary: dict[str, int]) -> csr_matrix:
    data, cols, ptr = [], [], [0]
    for text in texts:
        found = features(text)
        scale = 1.0 / np.sqrt(len(found) or 1)
        idx = sorted(vocabulary[f] for f in found if f in vocabulary)
        cols.extend(idx)
        data.extend([scale] * len(idx))
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(texts), len(vocabulary)))


def fit(
    texts: list[str], labels: list[str], classes: list[str], weights: np.ndarray | None = None
) -> tuple[LogisticRegression, dict]:
    counts = Counter(f for t in texts for f in features(t))
    vocabulary = {
        f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= MIN_COUNT))
    }
    y = np.array([classes.index(label) for label in labels])
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    model.fit(matrix(texts, vocabulary), y, sample_weight=weights)
    return model, vocabulary


def out_of_fold(
    texts: list[str], labels: list[str], classes: list[str], weights: np.ndarray | None = None
) -> np.ndarray:
    probs = np.zeros((len(texts), len(classes)))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(texts, labels):
        w = None if weights is None else weights[train]
        model, vocabulary = fit([texts[i] for i in train], [labels[i] for i in train], classes, w)
        fold_probs = model.predict_proba(matrix([texts[i] for i in test], vocabulary))
        for col, k in enumerate(model.classes_):
            probs[test, k] = fold_probs[:, col]
    return probs


def export(model: LogisticRegression, vocabulary: dict, classes: list[str], **extra) -> dict:
    coef = model.coef_
    if len(classes) == 2:  # binary: one row for class 1; write it as two softmax rows
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = [0.0, float(model.intercept_[0])]
    else:
        intercept = [float(b) for b in model.intercept_]
    weights = {}
    for feature, i in vocabulary.items():
        row = [round(float(w), DECIMALS) for w in coef[:, i]]
        if max(abs(w) for w in row) >= 10**-DECIMALS:
            weights[feature] = row
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "classes": classes,
        "intercept": [round(b, DECIMALS) for b in intercept],
        **extra,
        "weights": dict(sorted(weights.items())),
    }


def conversation_threshold(
    model: LogisticRegression, vocabulary: dict, everyday: list[str]
) -> float:
    """The risk of her last few texts read together that 2% of everyday conversations reach:
    windows of HISTORY_TEXTS + 1 tricky everyday texts, drawn with a fixed seed."""
    rng = np.random.default_rng(0)
    windows = [
        " ".join(everyday[i] for i in rng.choice(len(everyday), HISTORY_TEXTS + 1, replace=False))
        for _ in range(3000)
    ]
    risk = 1.0 - model.predict_proba(matrix(windows, vocabulary))[:, 0]
    return float(np.quantile(risk, 0.98))


def train_risk(data_sha: str) -> dict:
    rows = [(RISK_LABELS[label], text) for label, text in tsv_rows() if label in RISK_LABELS]
    tricky = len(rows)
    rows += nlu_rows()
    texts, labels = [t for _, t in rows], [label for label, _ in rows]
    classes = ["none", "overdose", "medical", "violence", "suicide"]
    is_crisis = np.array([label != "none" for label in labels])
    tricky_none = np.array([i < tricky and labels[i] == "none" for i in range(len(labels))])
    weights = np.where(tricky_none, TRICKY_WEIGHT, 1.0)
    weights[tricky:] = NLU_WEIGHT
    oof = out_of_fold(texts, labels, classes, weights)
    risk = 1.0 - oof[:, 0]
    ask_at = float(np.quantile(risk[tricky_none], ASK_QUANTILE))
    crisis_at = float(np.quantile(risk[tricky_none], CRISIS_QUANTILE))
    figures = {
        "out_of_fold_crisis_recall_at_ask": round(float((risk[is_crisis] >= ask_at).mean()), 4),
        "out_of_fold_crisis_recall_at_crisis": round(
            float((risk[is_crisis] >= crisis_at).mean()), 4
        ),
    }
    model, vocabulary = fit(texts, labels, classes, weights)
    conversation_at = conversation_threshold(
        model, vocabulary, [texts[i] for i in np.where(tricky_none)[0]]
    )
    return export(
        model,
        vocabulary,
        classes,
        thresholds={
            "lexicon_floor": LEXICON_FLOOR,
            "ask": round(ask_at, DECIMALS),
            "crisis": round(crisis_at, DECIMALS),
            "conversation": round(conversation_at, DECIMALS),
        },
        meta={"data_sha256": data_sha, "examples": dict(Counter(labels)), **figures},
    )


def train_optout(data_sha: str) -> dict:
    rows = [(OPTOUT_LABELS[label], text) for label, text in tsv_rows() if label in OPTOUT_LABELS]
    tricky = len(rows)
    rows += [("none", text) for _, text in nlu_rows()]
    texts, labels = [t for _, t in rows], [label for label, _ in rows]
    classes = ["none", "optout"]
    is_optout = np.array([label == "optout" for label in labels])
    hard = np.array([i < tricky for i in range(len(labels))]) & ~is_optout
    weights = np.where(hard, TRICKY_WEIGHT, 1.0)
    weights[tricky:] = NLU_WEIGHT
    oof = out_of_fold(texts, labels, classes, weights)[:, 1]
    # Act when the model is surer than on all but 0.5% of the texts about stopping something
    # else ("stop by the clinic", "i want to stop using"); ask once when it is surer than on
    # all but 1% of them.
    stop_at = float(np.quantile(oof[hard], 0.995))
    ask_at = float(np.quantile(oof[hard], 0.99))
    model, vocabulary = fit(texts, labels, classes, weights)
    return export(
        model,
        vocabulary,
        classes,
        thresholds={"optout": round(stop_at, DECIMALS), "ask": round(ask_at, DECIMALS)},
        meta={
            "data_sha256": data_sha,
            "examples": dict(Counter(labels)),
            "out_of_fold_recall_at_optout": round(float((oof[is_optout] >= stop_at).mean()), 4),
            "out_of_fold_recall_at_ask": round(float((oof[is_optout] >= ask_at).mean()), 4),
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a model is stale")
    args = parser.parse_args(argv)
    sha = data_hash()
    if args.check:
        stale = stale_models()
        print("stale: " + ", ".join(stale) if stale else "models up to date")
        return 1 if stale else 0
    for path, build in ((RISK_MODEL, train_risk), (OPTOUT_MODEL, train_optout)):
        model = build(sha)
        path.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(
            f"{path.relative_to(REPO)}: {len(model['weights'])} features, "
            f"thresholds {model['thresholds']}, {json.dumps(model['meta'])[:300]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

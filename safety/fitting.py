"""The two readers of a safety model and how each is fitted (``safety/train.py`` drives them).

* an n-gram logistic regression, exported as plain JSON for ``safety.textmodel``;
* an RBF SVM over sentence embeddings, Platt-scaled, exported as arrays for ``safety.semantic``.

Runs in the bot venv (scikit-learn, numpy), never at run time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from safety.embedding import embed
from safety.semantic import SemanticModel, blend
from safety.textmodel import FORMAT, FORMAT_VERSION, features

C = 16.0
# The semantic reader: an RBF SVM on sentence embeddings. C chosen on blind sets A and B held
# out (recall at 5% false positives of the blend: C=1 0.933, C=4 0.943, C=16 0.949).
SVM_C = 16.0
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


def fit_semantic(vectors: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> SVC:
    svm = SVC(C=SVM_C, kernel="rbf", gamma="scale", class_weight="balanced")
    return svm.fit(vectors, positive, sample_weight=weights)


def platt(decisions: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """(a, b) of ``1 / (1 + exp(a * decision + b))`` fitted on out-of-fold decisions."""
    curve = LogisticRegression(C=1e6, max_iter=1000).fit(decisions.reshape(-1, 1), positive)
    return -float(curve.coef_[0, 0]), -float(curve.intercept_[0])


def export_semantic(svm: SVC, curve: tuple[float, float]) -> SemanticModel:
    # For two classes scikit-learn's decision is positive for classes_[1] (True).
    return SemanticModel(
        support=svm.support_vectors_.astype(np.float32),
        dual=svm.dual_coef_[0].astype(np.float32),
        intercept=float(svm.intercept_[0]),
        gamma=float(svm._gamma),
        platt=curve,
    )


@dataclass
class Labelled:
    """The texts one model learns from, with what training needs to know about each."""

    texts: list[str]
    labels: list[str]  # the model's classes; "none" is the negative one
    vectors: np.ndarray  # sentence embeddings, one row per text
    weights: np.ndarray
    hard_none: np.ndarray  # the hard negatives: "none" texts from the TSV files
    source: list[str]  # the TSV file's stem, or "nlu"

    @property
    def positive(self) -> np.ndarray:
        return np.array([label != "none" for label in self.labels])

    def subset(self, keep: np.ndarray) -> Labelled:
        idx = np.where(keep)[0]
        return Labelled(
            [self.texts[i] for i in idx],
            [self.labels[i] for i in idx],
            self.vectors[idx],
            self.weights[idx],
            self.hard_none[idx],
            [self.source[i] for i in idx],
        )


@dataclass
class Readers:
    """Both readers of one model: n-gram logistic regression and the embedding SVM."""

    ngram: LogisticRegression
    vocabulary: dict
    semantic: SemanticModel

    def probability(self, texts: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """``safety.semantic.blend`` of both readers: the probability of "not none"."""
        ngram = 1.0 - self.ngram.predict_proba(matrix(texts, self.vocabulary))[:, 0]
        vectors = embed(texts) if vectors is None else vectors
        semantic = self.semantic.probability_of_vectors(vectors)
        return np.array([blend(n, s) for n, s in zip(ngram, semantic, strict=True)])


def fit_readers(data: Labelled, classes: list[str], curve: tuple[float, float]) -> Readers:
    ngram, vocabulary = fit(data.texts, data.labels, classes, data.weights)
    svm = fit_semantic(data.vectors, data.positive, data.weights)
    return Readers(ngram, vocabulary, export_semantic(svm, curve))

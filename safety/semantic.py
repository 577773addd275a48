"""A classifier over sentence embeddings (``safety.embedding``): the judgement's second reader.

The n-gram model (``safety.textmodel``) knows words; this one knows meaning, so a danger said
in words no training text used still lands near the ones that were. It is an RBF-kernel SVM,
trained by ``safety/train.py`` (bot venv, scikit-learn) and stored as plain arrays in an
``.npz`` file (never a pickle), scored here with numpy alone in either runtime:

    model = SemanticModel.load(path)
    model.probability(["i wont be around for her birthday"])   # array([0.93])

``probability`` is the SVM's decision value through a logistic curve fitted on out-of-fold
decisions (Platt scaling), so it can be averaged with the n-gram model's probability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from safety.embedding import embed

FORMAT = "tandem-embedding-rbf-svm"
FORMAT_VERSION = 1
_FIELDS = ("format", "version", "support", "dual", "intercept", "gamma", "platt")


@dataclass(frozen=True)
class SemanticModel:
    support: np.ndarray  # (n, 512) support vectors, float32
    dual: np.ndarray  # (n,) dual coefficients (label times alpha)
    intercept: float
    gamma: float
    platt: tuple[float, float]  # probability = 1 / (1 + exp(a * decision + b))
    # Each support vector's squared length, computed once: per text it cost as much as the
    # distances themselves (4,492 x 512 in round 12's risk reader).
    support_sq: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "support_sq", np.sum(self.support**2, axis=1))

    @classmethod
    def load(cls, path: Path | str) -> SemanticModel:
        """Read a model file; ``ValueError`` names what is wrong with a damaged one."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                arrays = {name: data[name] for name in _FIELDS}
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path}: not a semantic model file: {exc}") from exc
        if str(arrays["format"]) != FORMAT or int(arrays["version"]) != FORMAT_VERSION:
            raise ValueError(f"{path}: expected format {FORMAT} version {FORMAT_VERSION}")
        support = arrays["support"].astype(np.float32)
        dual = arrays["dual"].astype(np.float32)
        if support.ndim != 2 or dual.shape != (support.shape[0],):
            raise ValueError(f"{path}: one dual coefficient per support vector expected")
        a, b = (float(x) for x in arrays["platt"])
        return cls(support, dual, float(arrays["intercept"]), float(arrays["gamma"]), (a, b))

    def save(self, path: Path | str) -> None:
        with open(path, "wb") as out:
            np.savez_compressed(
                out,
                format=np.array(FORMAT),
                version=np.array(FORMAT_VERSION),
                support=self.support.astype(np.float32),
                dual=self.dual.astype(np.float32),
                intercept=np.array(self.intercept),
                gamma=np.array(self.gamma),
                platt=np.array(self.platt),
            )

    def decision(self, vectors: np.ndarray) -> np.ndarray:
        """The SVM's decision values for embedding rows (positive: the class it learned)."""
        sq = (
            np.sum(vectors**2, axis=1)[:, None]
            + self.support_sq[None, :]
            - 2.0 * vectors @ self.support.T
        )
        return np.exp(-self.gamma * np.maximum(sq, 0.0)) @ self.dual + self.intercept

    def probability_of_vectors(self, vectors: np.ndarray) -> np.ndarray:
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(a * self.decision(vectors) + b))

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of the learned class for each text."""
        return self.probability_of_vectors(embed(texts))


#: Probabilities are clipped to this distance from 0 and 1 before their log-odds are taken.
_EDGE = 1e-4


def blend(ngram: float, semantic: float) -> float:
    """One probability from both readers: the mean of their log-odds. When one reader is sure
    and the other unsure ("gives take homes after 90 days": n-gram 0.74, embeddings 0.008),
    the sure one weighs more than in a plain mean, which put such texts in the middle, where
    Tandem asks. Round 20, 36 writers held out by group (5,291 crises, 6,750 everyday texts)
    at the same thresholds' quantiles: 14 crises missed by the whole judgement instead of 20,
    crisis replies to everyday texts 1.64% instead of 1.76%, the same 6.25% questions. (The
    plain mean had been chosen on blind sets A and B against each reader alone.)"""
    return _logistic((_log_odds(ngram) + _log_odds(semantic)) / 2.0)


def _log_odds(p: float) -> float:
    p = min(max(float(p), _EDGE), 1.0 - _EDGE)
    return math.log(p / (1.0 - p))


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def companion(meta: Mapping[str, Any], model_path: Path | str) -> SemanticModel | None:
    """The embedding reader a JSON model was trained with (its ``semantic_file``), if any."""
    name = meta.get("semantic_file")
    return SemanticModel.load(Path(model_path).parent / str(name)) if name else None

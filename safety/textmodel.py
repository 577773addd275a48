"""A small text classifier both runtimes can run: logistic regression over word and character
n-grams of the crisis matcher's normal form, stored as plain JSON weights (never a pickle).

Inference is pure Python (stdlib only), deterministic, and reads only the features a message
has: about 0.1 ms per text. Training lives in ``safety/train.py`` (bot venv, scikit-learn) and
writes the JSON this module loads; both use :func:`features`, so they cannot disagree.

    model = TextModel.load(path)
    model.probabilities("i cant wake him up")   # {"none": 0.02, "overdose": 0.95, ...}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safety.crisis import normalize

FORMAT = "tandem-ngram-logreg"
FORMAT_VERSION = 1
CHAR_NGRAMS = (3, 4, 5)


def features(text: str) -> list[str]:
    """The distinct features of ``text``: words, word pairs, and character 3-5-grams of each
    word (with word-boundary marks), all taken from :func:`safety.crisis.normalize`'d text,
    so shorthand, accents, apostrophes and stretched letters are already folded."""
    words = normalize(text).split()
    found = {f"w:{w}" for w in words}
    found.update(f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    for word in words:
        padded = f"<{word}>"
        for n in CHAR_NGRAMS:
            found.update(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    return sorted(found)


@dataclass(frozen=True)
class TextModel:
    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    weights: Mapping[str, Sequence[float]]
    thresholds: Mapping[str, float]
    meta: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path | str) -> TextModel:
        """Read a model file; ``ValueError`` names what is wrong with a damaged one."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a JSON model file: {exc}") from exc
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: invalid model: {exc}") from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextModel:
        if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"expected format {FORMAT} version {FORMAT_VERSION}")
        classes = tuple(str(c) for c in data["classes"])
        intercept = tuple(float(b) for b in data["intercept"])
        weights = {str(f): tuple(float(x) for x in w) for f, w in data["weights"].items()}
        if len(intercept) != len(classes) or any(len(w) != len(classes) for w in weights.values()):
            raise ValueError("every weight row needs one number per class")
        thresholds = {str(k): float(v) for k, v in (data.get("thresholds") or {}).items()}
        return cls(classes, intercept, weights, thresholds, dict(data.get("meta") or {}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "classes": list(self.classes),
            "intercept": list(self.intercept),
            "thresholds": dict(self.thresholds),
            "meta": dict(self.meta),
            "weights": {f: list(w) for f, w in sorted(self.weights.items())},
        }

    def probabilities(self, text: str) -> dict[str, float]:
        """Softmax over the classes. Features are scaled to unit length (as in training), so
        a long message does not weigh more than a short one."""
        found = features(text)
        scale = 1.0 / math.sqrt(len(found) or 1)
        present = [self.weights[f] for f in found if f in self.weights]
        logits = list(self.intercept)
        for row in present:
            for k, w in enumerate(row):
                logits[k] += w * scale
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        norm = sum(exps)
        return {c: e / norm for c, e in zip(self.classes, exps, strict=True)}

"""CPU time of the embedding readers' SVM decision (safety/semantic.py) per text, with each
support vector's squared length computed once at load (as now) against computing it per text
(as before 2026-12-06), in the same process on the same vectors. Every turn runs the risk
reader in the gateway, in Rasa's crisis guard and, for her earlier texts, in the crisis policy.

    PYTHONPATH=. .venv/bin/python bench/semantic_reader.py [--texts 500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from safety.judge import DEFAULT_MODEL_PATH
from safety.semantic import SemanticModel, companion
from safety.textmodel import TextModel


def per_call_norms(model: SemanticModel, vectors: np.ndarray) -> np.ndarray:
    """The decision as it was computed before: the support vectors' lengths every time."""
    sq = (
        np.sum(vectors**2, axis=1)[:, None]
        + np.sum(model.support**2, axis=1)[None, :]
        - 2.0 * vectors @ model.support.T
    )
    return np.exp(-model.gamma * np.maximum(sq, 0.0)) @ model.dual + model.intercept


def cpu_ms(decide, model: SemanticModel, rows: np.ndarray) -> float:
    start = time.process_time()
    for row in rows:
        decide(model, row[None, :])
    return 1000 * (time.process_time() - start) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=500)
    count = parser.parse_args().texts
    model = companion(TextModel.load(DEFAULT_MODEL_PATH).meta, DEFAULT_MODEL_PATH)
    assert model is not None
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(count, model.support.shape[1])).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)  # unit length, as embeddings are
    same = np.allclose(model.decision(rows), per_call_norms(model, rows), atol=1e-4)
    now, before = [], []
    for _ in range(3):  # interleaved, so both see the same machine
        now.append(cpu_ms(SemanticModel.decision, model, rows))
        before.append(cpu_ms(per_call_norms, model, rows))
    a, b = min(now), min(before)
    print(f"risk reader: {model.support.shape[0]} support vectors, {count} texts one at a time")
    print(f"  lengths once (now)     {a:.3f} ms CPU per text")
    print(f"  lengths per text       {b:.3f} ms CPU per text")
    print(f"  now/before {a / b:.2f}x; same decisions: {same}")


if __name__ == "__main__":
    main()

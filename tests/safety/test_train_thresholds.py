"""How safety/train.py reads its thresholds and figures off the held-out writers' scores.

Synthetic scores stand in for the held-out readers' (a real run takes an hour): what is
checked is the bookkeeping the next round chooses on, not the models."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")  # safety.train runs in the bot venv

from safety import train  # noqa: E402
from safety.fitting import Labelled  # noqa: E402

EVERYDAY = [f"got my {n} month chip today and the baby clapped" for n in range(200)]
# Labelled crises in words no lexicon phrase matches: the figures then come from the scores.
CRISES = [f"text number {n} of the crisis kind" for n in range(40)]


def _held() -> Labelled:
    texts = EVERYDAY + CRISES
    labels = ["none"] * len(EVERYDAY) + ["overdose"] * len(CRISES)
    n = len(texts)
    hard_none = np.array([label == "none" for label in labels])
    return Labelled(texts, labels, np.zeros((n, 512), np.float32), np.ones(n), hard_none, ["x"] * n)


def test_the_ask_curve_trades_questions_for_missed_crises_in_order() -> None:
    rng = np.random.default_rng(1)
    held = _held()
    scores = np.where(
        held.positive, rng.beta(4, 2, len(held.texts)), rng.beta(1, 9, len(held.texts))
    )
    thresholds, figures = train.new_writer_thresholds(scores, np.zeros(len(scores)), held)
    curve = figures["held_out_writers_ask_curve"]
    assert list(curve) == [str(q) for q in train.ASK_CURVE]
    questions = [point["false_question"] for point in curve.values()]
    missed = [point["missed"] for point in curve.values()]
    assert questions == sorted(questions, reverse=True) and questions[0] > questions[-1]
    assert missed == sorted(missed)
    # The chosen point is the curve's point at ASK_QUANTILE.
    chosen = curve[str(train.ASK_QUANTILE)]
    assert chosen["missed"] == figures["held_out_writers_judgement_missed"]
    assert chosen["false_question"] == figures["held_out_writers_judgement_false_question"]
    assert thresholds["ask"] < thresholds["crisis"]


def test_a_question_only_a_passage_raised_counts_in_the_judgements_figures() -> None:
    held = _held()
    scores = np.where(held.positive, 0.9, 0.01)
    scores[-1] = 0.0  # one crisis the whole-text readers miss...
    passages = np.zeros(len(scores))
    passages[-1] = 0.99  # ...that one of its passages, read alone, raises
    _, figures = train.new_writer_thresholds(scores, passages, held)
    assert figures["held_out_writers_sentence_crises_asked"] == 1
    assert figures["held_out_writers_judgement_missed"] == 0

"""Train the risk and opt-out models from the labelled texts in data/ (``make safety-model``).

Runs in the bot venv (scikit-learn, numpy); the models it writes are plain data that
``safety.textmodel`` (JSON) and ``safety.semantic`` (``.npz``) read in either runtime without
scikit-learn. Deterministic: the same data gives the same files, and the JSON records the hash
of the data it was trained on and of its ``.npz`` companion (a test checks both).

Training texts: ``safety/training_data.py``; the two readers: ``safety/fitting.py``.

Each model is two readers blended (``safety.semantic.blend``): an n-gram logistic regression
and an SVM over sentence embeddings. The risk model's thresholds come from the texts written
blind by outsiders (``blind_*.tsv``), each scored by readers trained without its writer: the
model's ``ask`` and ``crisis`` are quantiles of their everyday texts' risk, chosen on what the
whole judgement (lexicon and readers) does with those texts.
First-sight recall is measured by ``bench/safety_eval.py`` on new blind sets, never here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from safety.crisis import DEFAULT_LEXICON_PATH, CrisisLexicon, normalize  # noqa: E402
from safety.embedding import embed  # noqa: E402
from safety.fitting import (  # noqa: E402
    DECIMALS,
    Labelled,
    Readers,
    export,
    fit,
    fit_readers,
    fit_semantic,
    matrix,
    platt,
)
from safety.judge import (  # noqa: E402
    ASK,
    CRISIS,
    HISTORY_TEXTS,
    NONE,
    SafetyJudge,
    passages,
)
from safety.semantic import blend  # noqa: E402
from safety.training_data import (  # noqa: E402
    OPTOUT_LABELS,
    OPTOUT_MODEL,
    OPTOUT_SEMANTIC,
    RISK_LABELS,
    RISK_MODEL,
    RISK_SEMANTIC,
    data_hash,
    file_sha256,
    nlu_rows,
    stale_models,
    tsv_rows,
    tsv_rows_by_file,
)

# Tricky everyday texts weigh more than the easy NLU examples: they are the hard negatives.
TRICKY_WEIGHT = 3.0
NLU_WEIGHT = 0.5
# A lexicon phrase in a text the model finds this unlikely to be a crisis is asked about
# instead of alarmed (past overdoses, a TV show, learning the signs). Chosen on out-of-fold
# scores of the blind sets already used for training (A, B): it halves the false crisis
# replies there at no cost in crisis-or-question recall.
LEXICON_FLOOR = 0.4
# An earlier text is read with her new one only above this quantile of the held-out everyday
# texts' risk: a greeting or a practical text adds nothing to the conversation. 0.8 since round
# 19, whose readers put the 0.75 quantile at 0.047, under "thank u so much" (0.051), which
# then turned "i changed my mind dont send my info" into a question; at 0.8, 0.069.
HISTORY_QUANTILE = 0.8
# Below ``lexicon_ignore`` a lexicon phrase is not even asked about ("we talked about suicide
# prevention at group today"): this share of the second lowest risk that readers that had not
# learned the writers (held_out_writers) gave a held-out crisis with a lexicon phrase. Until
# round 22 it was the lowest, so one text decided it (round 23: "how do u hide fresh ones from
# the nurse at the ob appt lol", 0.002; the second lowest of 3,353 is 0.008). A fifth until
# round 15; a half keeps a margin below it, and the team's red-team crises with a phrase stay
# above it. Round 23 looked at raising it much further (ask_curve and the grid in the round's
# first-sight entry): at 0.026 the lexicon asks about 1 in 100 fewer everyday texts, but
# implicit phrases the readers underrate go silent ("is it bad that i picked a day", "a
# funeral home that takes masshealth. for me"); recall comes first.
LEXICON_IGNORE_SHARE = 0.5
LEXICON_IGNORE_RANK = 2
# Quantiles of the risk of everyday texts by writers the models have not learned (see
# held_out_writers): above ASK_QUANTILE Tandem asks, above CRISIS_QUANTILE it answers with the
# crisis reply. Chosen in round 15 on what the whole judgement (lexicon included) did with the
# held-out writers' texts: against 0.95 and 0.975, 30 crises missed of 2,574 instead of 36,
# crisis replies to everyday texts 2.3% instead of 2.7%, questions 6.1% instead of 6.9%
# (with TOLD_ABOUT and this LEXICON_IGNORE_SHARE; the lexicon's questions come on top of
# the readers' 5.5%). The model records the judgement's figures (meta). Round 19 (31 writers)
# raised CRISIS_QUANTILE from 0.98: there the readers put the crisis threshold at 0.48, and
# held-out everyday texts got the crisis reply 2.2% of the time; at 0.985, 1.8%, with the same
# 17 of 4,573 crises missed (those moved get the direct question, with 988 or 911). Round 23
# (47 writers): 0.945 missed 22 of 7,135 held-out crises and asked about 7.0% of everyday
# texts; 0.94 with the second-lowest ``lexicon_ignore`` misses 20 and asks about 6.8%.
ASK_QUANTILE = 0.94
CRISIS_QUANTILE = 0.985
# The passage layer's line (``sentence``): where one passage read alone raises this share of
# the held-out writers' everyday texts that the rest of the judgement leaves alone. Round 22:
# on safety_AQ..AU (800 everyday texts the round-21 readers had not met) a line raising 0.5%
# asked about 6 of the 11 crises buried in long texts.
SENTENCE_SHARE = 0.005
# Other ask quantiles whose held-out figures the model records (meta ``ask_curve``).
ASK_CURVE = (0.93, 0.94, 0.945, 0.95, 0.955, 0.96, 0.965, 0.97)
RISK_CLASSES = ["none", "overdose", "medical", "violence", "suicide"]
CONVERSATION_WINDOWS = 3000
# The blind files are held out in this many groups (every 6th file together), not one by one:
# with 17 writers one fit per writer made ``make safety-model`` take over 50 minutes on two
# cores; a group of about three writers leaves the readers 94% of the data instead of 98%.
WRITER_GROUPS = 6
OPTOUT_QUANTILE = 0.995
OPTOUT_ASK_QUANTILE = 0.99


def labelled(names: dict[str, str], nlu_label, vectors: dict[str, np.ndarray]) -> Labelled:
    """The TSV rows whose label ``names`` maps (to a class), then the NLU examples as
    ``nlu_label(intent label)`` (lighter: they are the easy, team-written texts)."""
    rows = [
        (names[label], text, stem)
        for stem, file_rows in tsv_rows_by_file().items()
        for label, text in file_rows
        if label in names
    ]
    tsv = len(rows)
    # Not the texts written outside the team (data/nlu/outside_*.yml): learnt as everyday
    # texts they lowered the thresholds, and "i'm dying to see my baby" became a question
    # (tried in round 8, 2026-12-05, at weights 0.5, 1 and 3).
    rows += [(nlu_label(label), text, "nlu") for label, text, out in nlu_rows() if not out]
    labels = [label for label, _, _ in rows]
    hard_none = np.array([i < tsv and labels[i] == "none" for i in range(len(rows))])
    weights = np.where(hard_none, TRICKY_WEIGHT, 1.0)
    weights[tsv:] = NLU_WEIGHT
    texts = [text for _, text, _ in rows]
    matrix_ = np.stack([vectors[t] for t in texts])
    return Labelled(texts, labels, matrix_, weights, hard_none, [s for _, _, s in rows])


def embeddings() -> dict[str, np.ndarray]:
    """Every training text's embedding, computed once for both models."""
    texts = sorted({t for _, t in tsv_rows()} | {t for _, t, out in nlu_rows() if not out})
    return dict(zip(texts, embed(texts), strict=True))


def out_of_fold(data: Labelled, classes: list[str]) -> tuple[np.ndarray, tuple[float, float]]:
    """5-fold out-of-fold blended probabilities, and Platt's curve for the embedding reader
    (fitted on its out-of-fold decisions, then used for every embedding reader)."""
    ngram, decisions = np.zeros(len(data.texts)), np.zeros(len(data.texts))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(data.texts, data.labels):
        part = data.subset(np.isin(np.arange(len(data.texts)), train))
        model, vocabulary = fit(part.texts, part.labels, classes, part.weights)
        none = list(model.classes_).index(0)
        texts = [data.texts[i] for i in test]
        ngram[test] = 1.0 - model.predict_proba(matrix(texts, vocabulary))[:, none]
        svm = fit_semantic(part.vectors, part.positive, part.weights)
        decisions[test] = svm.decision_function(data.vectors[test])
    a, b = curve = platt(decisions, data.positive)
    semantic = 1.0 / (1.0 + np.exp(a * decisions + b))
    return np.array([blend(n, s) for n, s in zip(ngram, semantic, strict=True)]), curve


def held_out_writers(
    data: Labelled, classes: list[str], curve: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, Labelled]:
    """The probability of each text written blind by outsiders (``blind_*`` files), scored by
    readers trained without that writer's file and a few others (how a model meets a new
    writer; WRITER_GROUPS says why a few), the highest of its passages read alone by the
    same readers (0 for a text of one sentence), and those texts. Thresholds come from here,
    not from texts whose writers the model has learned."""
    scores, sentence_scores, held = [], [], []
    stems = sorted({s for s in data.source if s.startswith("blind_")})
    for group in range(min(WRITER_GROUPS, len(stems))):
        mine = np.isin(data.source, stems[group::WRITER_GROUPS])
        readers = fit_readers(data.subset(~mine), classes, curve)
        held.append(np.where(mine)[0])
        texts = data.subset(mine).texts
        scores.append(readers.probability(texts, data.vectors[mine]))
        sentence_scores.append(highest_sentence(readers, texts))
    order = np.argsort(np.concatenate(held))  # the held-out texts' rows, in the data's order
    rows = np.isin(np.arange(len(data.texts)), np.concatenate(held))
    return (
        np.concatenate(scores)[order],
        np.concatenate(sentence_scores)[order],
        data.subset(rows),
    )


def highest_sentence(readers: Readers, texts: list[str]) -> np.ndarray:
    """Per text, the highest risk of one of its passages read alone (0 if none)."""
    parts = [passages(text) for text in texts]
    flat = [part for text_parts in parts for part in text_parts]
    risks = iter(readers.probability(flat) if flat else [])
    return np.array([max((next(risks) for _ in p), default=0.0) for p in parts])


def new_writer_thresholds(
    scores: np.ndarray, sentence_scores: np.ndarray, held: Labelled
) -> tuple[dict, dict]:
    """``ask`` and ``crisis`` at ASK_QUANTILE and CRISIS_QUANTILE of the held-out everyday
    texts' risk, ``lexicon_ignore`` at LEXICON_IGNORE_SHARE of the LEXICON_IGNORE_RANK-th
    lowest held-out risk of a crisis with a lexicon phrase, ``sentence`` where it raises
    SENTENCE_SHARE of the everyday texts left alone (never under ``crisis``); and what the
    whole judgement (``SafetyJudge.alone``, then the passage layer) does with the held-out
    texts at those thresholds, for the model's record, with the same figures at other ask
    quantiles (``ask_curve``: the trade-off the next round chooses on, without training
    again)."""
    judge = SafetyJudge(CrisisLexicon.load(DEFAULT_LEXICON_PATH), _NoModel())
    texts = [
        (float(risk), judge.lexicon.match(text) is not None, normalize(text))
        for risk, text in zip(scores, held.texts, strict=True)
    ]
    phrase_crises = [
        risk
        for (risk, phrase, _), positive in zip(texts, held.positive, strict=True)
        if phrase and positive
    ]
    lowest = sorted(phrase_crises)[:LEXICON_IGNORE_RANK][-1] if phrase_crises else 0.0
    lexicon_ignore = round(LEXICON_IGNORE_SHARE * lowest, DECIMALS)

    def judged(ask_quantile: float) -> tuple[dict, dict]:
        everyday = scores[~held.positive]
        thresholds = {
            "ask": round(float(np.quantile(everyday, ask_quantile)), DECIMALS),
            "crisis": round(float(np.quantile(everyday, CRISIS_QUANTILE)), DECIMALS),
            "lexicon_ignore": lexicon_ignore,
        }
        judge.use_thresholds({"lexicon_floor": LEXICON_FLOOR, **thresholds})
        found = np.array([judge.alone(*text)[0] for text in texts])
        quiet = np.where(found == NONE, sentence_scores, 0.0)
        line = float(np.quantile(quiet[~held.positive], 1.0 - SENTENCE_SHARE))
        thresholds["sentence"] = round(max(line, thresholds["crisis"]), DECIMALS)
        raised = quiet >= thresholds["sentence"]
        found = np.where(raised, ASK, found)
        return thresholds, {
            "held_out_writers_sentence_false_question": round(
                float(raised[~held.positive].mean()), 4
            ),
            "held_out_writers_sentence_crises_asked": int(raised[held.positive].sum()),
            "held_out_writers_judgement_false_crisis": _share(found[~held.positive], CRISIS),
            "held_out_writers_judgement_false_question": _share(found[~held.positive], ASK),
            "held_out_writers_judgement_crisis_recall": _share(found[held.positive], CRISIS),
            "held_out_writers_judgement_missed": int((found[held.positive] == NONE).sum()),
        }

    curve = {}
    for quantile in ASK_CURVE:
        _, figures = judged(quantile)
        curve[str(quantile)] = {
            "missed": figures["held_out_writers_judgement_missed"],
            "false_question": figures["held_out_writers_judgement_false_question"],
        }
    thresholds, figures = judged(ASK_QUANTILE)
    figures["held_out_writers_ask_curve"] = curve
    return thresholds, figures


def _share(levels: np.ndarray, level: str) -> float:
    return round(float((levels == level).mean()), 4)


class _NoModel:
    """Stands in for the risk model where only ``SafetyJudge.alone`` is used."""

    thresholds: dict = {"crisis": 1.0, "ask": 1.0}


def conversation_threshold(readers: Readers, everyday: list[str]) -> float:
    """The risk of her last few texts read together that 2% of everyday conversations reach:
    windows of HISTORY_TEXTS + 1 tricky everyday texts, drawn with a fixed seed. (The
    judgement reads only earlier texts above ``history_floor``, so in use it asks less often
    than this; windows of only such texts put the threshold above the crisis one, tried in
    round 9.)"""
    rng = np.random.default_rng(0)
    windows = [
        " ".join(everyday[i] for i in rng.choice(len(everyday), HISTORY_TEXTS + 1, replace=False))
        for _ in range(CONVERSATION_WINDOWS)
    ]
    return float(np.quantile(readers.probability(windows), 0.98))


def recall(scores: np.ndarray, positive: np.ndarray, at: float) -> float:
    return round(float((scores[positive] >= at).mean()), 4)


def build(
    data: Labelled,
    classes: list[str],
    quantiles: dict[str, float] | None,
    semantic_file: Path,
    data_sha: str,
    scores_file: Path | None = None,
) -> tuple[Readers, dict]:
    """Train both readers, save the embedding reader, and return the JSON model. Its
    thresholds: at ``quantiles`` of the hard negatives' out-of-fold probabilities, or (None)
    chosen on what the judgement does with the held-out writers' texts (choose_thresholds)."""
    oof, curve = out_of_fold(data, classes)
    positive = data.positive
    figures: dict[str, float] = {"out_of_fold_positive_texts": int(positive.sum())}
    if quantiles is None:
        scores, sentence_scores, held = held_out_writers(data, classes, curve)
        figures["held_out_writers_positive_texts"] = int(held.positive.sum())
        figures["held_out_writers_negative_texts"] = int((~held.positive).sum())
        if scores_file:  # for studying thresholds without training again
            rows = zip(held.source, held.labels, scores, sentence_scores, held.texts, strict=True)
            lines = ["\t".join((s, label, f"{x:.5f}", f"{y:.5f}", t)) for s, label, x, y, t in rows]
            scores_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        thresholds, judged = new_writer_thresholds(scores, sentence_scores, held)
        figures.update(judged)
        everyday = scores[~held.positive]
        thresholds["history_floor"] = round(float(np.quantile(everyday, HISTORY_QUANTILE)), 4)
        for name, at in thresholds.items():
            figures[f"held_out_writers_recall_at_{name}"] = recall(scores, held.positive, at)
    else:
        negatives = oof[data.hard_none]
        thresholds = {
            name: round(float(np.quantile(negatives, q)), DECIMALS) for name, q in quantiles.items()
        }
    for name, at in thresholds.items():
        figures[f"out_of_fold_recall_at_{name}"] = recall(oof, positive, at)
    readers = fit_readers(data, classes, curve)
    readers.semantic.save(semantic_file)
    model = export(
        readers.ngram,
        readers.vocabulary,
        classes,
        thresholds=thresholds,
        meta={
            "data_sha256": data_sha,
            "semantic_file": semantic_file.name,
            "semantic_sha256": file_sha256(semantic_file),
            "examples": dict(Counter(data.labels)),
            **figures,
        },
    )
    return readers, model


def train_risk(
    data_sha: str, vectors: dict[str, np.ndarray], scores_file: Path | None = None
) -> dict:
    data = labelled(RISK_LABELS, lambda label: label, vectors)
    readers, model = build(data, RISK_CLASSES, None, RISK_SEMANTIC, data_sha, scores_file)
    everyday = [data.texts[i] for i in np.where(data.hard_none)[0]]
    conversation = conversation_threshold(readers, everyday)
    model["thresholds"]["conversation"] = round(conversation, DECIMALS)
    model["thresholds"]["lexicon_floor"] = LEXICON_FLOOR
    return model


def train_optout(data_sha: str, vectors: dict[str, np.ndarray]) -> dict:
    # Act when the model is surer than on all but 0.5% of the texts about stopping something
    # else ("stop by the clinic", "i want to stop using", out of fold); ask once above 1%.
    # (The blind files hold few of those, so their writers cannot set these thresholds.)
    data = labelled(OPTOUT_LABELS, lambda label: "none", vectors)
    quantiles = {"optout": OPTOUT_QUANTILE, "ask": OPTOUT_ASK_QUANTILE}
    classes = ["none", "optout"]
    return build(data, classes, quantiles, OPTOUT_SEMANTIC, data_sha)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a model is stale")
    parser.add_argument(
        "--held-out-scores", type=Path, help="write the held-out writers' risk scores here (TSV)"
    )
    args = parser.parse_args(argv)
    sha = data_hash()
    if args.check:
        stale = stale_models()
        print("stale: " + ", ".join(stale) if stale else "models up to date")
        return 1 if stale else 0
    vectors = embeddings()
    risk = partial(train_risk, scores_file=args.held_out_scores)
    for path, train in ((RISK_MODEL, risk), (OPTOUT_MODEL, train_optout)):
        model = train(sha, vectors)
        path.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(
            f"{path.relative_to(REPO)}: {len(model['weights'])} features, "
            f"thresholds {model['thresholds']}, {json.dumps(model['meta'])[:300]}"
        )
        for quantile, figures in model["meta"].get("held_out_writers_ask_curve", {}).items():
            print(f"  ask at the {quantile} quantile: {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

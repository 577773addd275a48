"""The judgement's second reader: an SVM over sentence embeddings (safety/semantic.py), in
whichever runtime runs the tests."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from safety import training_data  # noqa: E402
from safety.crisis import CrisisLexicon  # noqa: E402
from safety.embedding import DIMENSIONS, embed  # noqa: E402
from safety.judge import CRISIS, NONE, SafetyJudge, default_judge  # noqa: E402
from safety.semantic import SemanticModel, blend  # noqa: E402
from safety.textmodel import TextModel  # noqa: E402
from safety.training_data import RISK_MODEL, RISK_SEMANTIC  # noqa: E402


def test_embeddings_are_unit_vectors_and_meaning_is_near_across_languages() -> None:
    vectors = embed(["i cant wake him up", "no puedo despertarlo", "whats ur address", ""])
    assert vectors.shape == (4, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-3)
    same, other = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > other + 0.2


def test_the_committed_reader_is_the_one_the_risk_model_names() -> None:
    meta = TextModel.load(RISK_MODEL).meta
    assert meta["semantic_file"] == RISK_SEMANTIC.name
    assert default_judge().semantic is not None


def test_save_and_load_give_the_same_probabilities(tmp_path: Path) -> None:
    model = SemanticModel.load(RISK_SEMANTIC)
    model.save(tmp_path / "copy.npz")
    copy = SemanticModel.load(tmp_path / "copy.npz")
    texts = ["i dont think ill make it to morning", "need a ride to my appt"]
    assert np.allclose(model.probability(texts), copy.probability(texts))


def test_a_damaged_reader_file_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        SemanticModel.load(bad)
    np.savez(bad, format=np.array("something-else"), version=np.array(1))
    with pytest.raises(ValueError, match="bad.npz"):
        SemanticModel.load(bad)


def test_the_reader_matches_scikit_learn_on_what_it_was_trained_with() -> None:
    svm_module = pytest.importorskip("sklearn.svm")  # the bot venv trains; both runtimes score
    from safety.fitting import export_semantic

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(60, DIMENSIONS)).astype(np.float32)
    labels = vectors[:, 0] > 0
    svm = svm_module.SVC(C=4.0, kernel="rbf", gamma="scale").fit(vectors, labels)
    model = export_semantic(svm, (-1.0, 0.0))
    assert np.allclose(model.decision(vectors), svm.decision_function(vectors), atol=1e-4)


def test_the_blend_leans_to_the_reader_that_is_sure() -> None:
    # Two readers that agree give their probability back; either order gives the same.
    assert blend(0.3, 0.3) == pytest.approx(0.3)
    assert blend(0.9, 0.2) == pytest.approx(blend(0.2, 0.9))
    # One sure it is nothing, one unsure: under the plain mean, which asked about such texts.
    assert blend(0.74, 0.008) < 0.2 < (0.74 + 0.008) / 2
    # One sure it is a crisis, one unsure: over the plain mean.
    assert blend(0.999, 0.4) > 0.9 > (0.999 + 0.4) / 2
    # Certainty is clipped, so one reader alone can never decide.
    assert 0.0 < blend(0.0, 1.0) < 1.0 and blend(1.0, 1.0) < 1.0


def test_the_risk_blends_both_readers() -> None:
    judge = default_judge()
    text = "i wont be around for her first birthday, everything is ready"
    ngram_only = SafetyJudge(judge.lexicon, judge.model)
    semantic = float(judge.semantic.probability([text])[0])
    assert judge.risk(text)[0] == pytest.approx(blend(ngram_only.risk(text)[0], semantic))


class _Broken:
    def probability(self, texts):  # noqa: ANN001, ANN201
        raise RuntimeError("encoder unavailable")


def test_a_broken_semantic_reader_leaves_the_ngram_reader_deciding() -> None:
    judge = default_judge()
    broken = SafetyJudge(CrisisLexicon.load(), judge.model, _Broken())  # type: ignore[arg-type]
    assert broken.judge("i want to kill myself").level == CRISIS
    assert broken.judge("can u find me a food pantry in lowell").level == NONE
    assert broken.risk("hello")[0] == SafetyJudge(judge.lexicon, judge.model).risk("hello")[0]


def test_a_reader_file_that_is_not_the_one_trained_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    optout, optout_semantic = training_data.OPTOUT_MODEL, training_data.OPTOUT_SEMANTIC
    for path in (RISK_MODEL, RISK_SEMANTIC, optout, optout_semantic):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(
        training_data,
        "MODELS",
        (tmp_path / RISK_MODEL.name, tmp_path / training_data.OPTOUT_MODEL.name),
    )
    assert training_data.stale_models() == []
    with open(tmp_path / RISK_SEMANTIC.name, "ab") as out:
        out.write(b"\0")
    assert training_data.stale_models() == [RISK_SEMANTIC.name]
    meta = json.loads((tmp_path / RISK_MODEL.name).read_text(encoding="utf-8"))["meta"]
    assert meta["semantic_sha256"] != training_data.file_sha256(tmp_path / RISK_SEMANTIC.name)

"""The USE featurizer gives the classifier one sentence embedding per text
(bot/use_featurizer.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("rasa", reason="the featurizer tests run in the bot venv (.venv-bot)")

with warnings.catch_warnings():  # Rasa 3.6 and its pins warn a lot on import
    warnings.simplefilter("ignore")
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot import use_featurizer
    from bot.use_featurizer import UseFeaturizer
    from safety.embedding import DIMENSIONS


def featurizer() -> UseFeaturizer:
    config = UseFeaturizer.get_default_config()
    context = ExecutionContext(GraphSchema({}), node_name="use_featurizer")
    return UseFeaturizer.create(config, None, None, context)  # type: ignore[arg-type]


def sentence_vector(message: Message) -> np.ndarray:
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None  # sentence features only
    return sentence.features


def test_each_text_gets_one_unit_length_sentence_vector() -> None:
    messages = [Message(data={TEXT: "the van never came"}), Message(data={TEXT: "hola"})]
    featurizer().process(messages)
    for message in messages:
        vector = sentence_vector(message)
        assert vector.shape == (1, DIMENSIONS)
        assert vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)


def test_texts_that_mean_the_same_are_nearer_than_texts_that_do_not() -> None:
    texts = ["my ride never showed up", "the van didnt come to get me", "i want to sign up for wic"]
    messages = [Message(data={TEXT: t}) for t in texts]
    featurizer().process(messages)
    ride, van, wic = (sentence_vector(m)[0] for m in messages)
    assert float(ride @ van) > float(ride @ wic)


def test_training_data_is_featurized_in_batches_and_names_are_left_alone(monkeypatch) -> None:
    monkeypatch.setattr(use_featurizer, "BATCH_SIZE", 2)
    examples = [Message(data={TEXT: f"i need a ride {i}", INTENT: "need_transportation"})
                for i in range(5)]
    intent_only = Message(data={INTENT: "need_moud"})
    featurizer().process_training_data(TrainingData(examples + [intent_only]))
    assert all(sentence_vector(m).shape == (1, DIMENSIONS) for m in examples)
    assert intent_only.features == []


def test_the_fingerprint_follows_the_code() -> None:
    addon = UseFeaturizer.fingerprint_addon(UseFeaturizer.get_default_config())
    assert addon and addon == UseFeaturizer.fingerprint_addon({})


def test_a_text_in_capitals_is_read_like_the_same_text_in_lowercase() -> None:
    shouting, quiet, mixed = (
        Message(data={TEXT: "HELP ME FIND A DOCTOR"}),
        Message(data={TEXT: "help me find a doctor"}),
        Message(data={TEXT: "Help me find a doctor"}),
    )
    featurizer().process([shouting, quiet, mixed])
    # The same text, read in one batch: equal up to float noise (the encoder's sums may run in
    # another order for another row; differences of about 1e-8 were seen).
    assert np.allclose(sentence_vector(shouting), sentence_vector(quiet), atol=1e-6)
    # Only capitals are folded: any other text goes in as she wrote it.
    assert not np.allclose(sentence_vector(mixed), sentence_vector(quiet))

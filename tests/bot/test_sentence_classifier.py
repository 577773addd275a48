"""The sentence classifier learns intents from the sentence features, stores its weights as
plain arrays, and ranks intents as DIET did before it (bot/sentence_classifier.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rasa", reason="the classifier tests run in the bot venv (.venv-bot)")

with warnings.catch_warnings():  # Rasa 3.6 and its pins warn a lot on import
    warnings.simplefilter("ignore")
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.sentence_classifier import WEIGHTS_FILE, SentenceIntentClassifier
    from bot.sms_tokenizer import SmsTokenizer
    from bot.use_featurizer import UseFeaturizer

EXAMPLES = {
    "need_transportation": ["i need a ride to my appointment", "the van never came to get me",
                            "no car to get to the clinic", "can someone drive me to dosing"],
    "need_food_benefits": ["how do i sign up for wic", "we are out of formula",
                           "any food pantry near me", "my snap benefits got cut"],
    "greet": ["hi", "hello there", "hey", "good morning"],
}


@pytest.fixture()
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="node")


@pytest.fixture()
def pipeline(tmp_path: Path, context):
    """Trains the tokenizer, a count-vectors featurizer and the USE featurizer."""
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage.create(tmp_path / "storage")
    tokenizer = SmsTokenizer(SmsTokenizer.get_default_config())
    counts = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("counts"), context
    )
    use = UseFeaturizer.create(UseFeaturizer.get_default_config(), storage, None, context)

    def featurize(messages: list[Message], training: bool = False) -> list[Message]:
        data = TrainingData(messages)
        tokenizer.process_training_data(data)
        if training:
            counts.train(data)
        counts.process_training_data(data)
        use.process_training_data(data)
        return messages

    return storage, featurize


def training_messages() -> list[Message]:
    return [Message(data={TEXT: t, INTENT: i}) for i, ts in EXAMPLES.items() for t in ts]


def test_it_learns_ranks_and_reloads_from_plain_arrays(pipeline, context) -> None:
    storage, featurize = pipeline
    resource = Resource("sentence_classifier")
    config = SentenceIntentClassifier.get_default_config()
    classifier = SentenceIntentClassifier.create(config, storage, resource, context)
    classifier.train(TrainingData(featurize(training_messages(), training=True)))

    with storage.read_from(resource) as directory:
        stored = np.load(directory / WEIGHTS_FILE, allow_pickle=False)  # no pickle inside
        assert sorted(stored["classes"]) == sorted(EXAMPLES)

    loaded = SentenceIntentClassifier.load(config, storage, resource, context)
    messages = featurize([Message(data={TEXT: "my ride bailed and i have an appt at 9"}),
                          Message(data={TEXT: "need diapers and formula for the baby"})])
    loaded.process(messages)
    assert messages[0].get(INTENT)["name"] == "need_transportation"
    assert messages[1].get(INTENT)["name"] == "need_food_benefits"
    ranking = messages[0].get(INTENT_RANKING_KEY)
    assert len(ranking) == len(EXAMPLES)
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0, abs=1e-4)


def test_untrained_it_leaves_messages_alone(tmp_path: Path, context) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage.create(tmp_path / "storage")
    config = SentenceIntentClassifier.get_default_config()
    classifier = SentenceIntentClassifier.load(config, storage, Resource("missing"), context)
    message = Message(data={TEXT: "hi"})
    classifier.process([message])
    assert message.get(INTENT) is None

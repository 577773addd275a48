"""SentenceIntentClassifier: one linear model over a text's sentence features.

Texts from women the team never met share few words with the training examples. DIET
learns mostly from the sparse word and character n-grams and, given the sentence embedding
too (bot/use_featurizer.py), still leaned on the n-grams: on the blind set nlu_A it stayed
at 0.53 accuracy. A multinomial logistic regression over the same sentence features, with
the embedding given a fixed share of the weight, generalises much better and trains in
seconds (the measurements are in the commit that added this file and in
bench/results/nlu_use.md).

Features, per message, as the featurizers before it left them on the ``text`` attribute:
* the sparse sentence features (count vectors of words and character n-grams, regex
  matches): log(1 + count), scaled to unit length, so long texts weigh like short ones;
* the dense sentence features (the USE embedding, unit length), times ``dense_weight``.

It sets ``intent`` and ``intent_ranking`` as DIET does, so the FallbackClassifier and the
crisis guard after it work unchanged. The weights are stored as plain arrays (``.npz``, no
pickle) in the model.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "sentence_classifier.npz"


def sentence_vectors(messages: list[Message], dense_weight: float) -> scipy.sparse.csr_matrix:
    """One row per message: its normalised sparse and weighted dense sentence features."""
    rows = []
    for message in messages:
        _, sparse = message.get_sparse_features(TEXT)
        _, dense = message.get_dense_features(TEXT)
        parts = []
        if sparse is not None:
            counts = scipy.sparse.csr_matrix(sparse.features, dtype=np.float32)
            counts.data = np.log1p(np.abs(counts.data))
            norm = float(np.sqrt(counts.multiply(counts).sum()))
            parts.append(counts / norm if norm else counts)
        if dense is not None:
            parts.append(scipy.sparse.csr_matrix(np.asarray(dense.features) * dense_weight))
        rows.append(scipy.sparse.hstack(parts, format="csr"))
    return scipy.sparse.vstack(rows, format="csr", dtype=np.float32)


def _transposed(weights: dict[str, np.ndarray] | None) -> np.ndarray | None:
    """The coefficients as (features, intents), contiguous: scipy copies a transposed view on
    every product, 0.46 ms a message against 0.01 (bench/results/turn_profile.md, cut 8)."""
    return None if weights is None else np.ascontiguousarray(weights["coef"].T)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceIntentClassifier(GraphComponent, IntentClassifier):
    """Logistic regression over the sentence features (see the module docstring)."""

    @classmethod
    def required_components(cls) -> list[type]:
        """The featurizers run first."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 30.0,
            # The embedding's weight beside the unit-length n-gram counts.
            "dense_weight": 2.0,
            "max_iter": 1000,
            # Intents listed in intent_ranking, best first.
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self._weights = weights
        self._coef_t = _transposed(weights)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceIntentClassifier:
        """Creates a new untrained component (see parent class for full docstring)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the regression on every example with a text and an intent."""
        from sklearn.linear_model import LogisticRegression

        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = np.array([m.get(INTENT) for m in examples])
        if len(set(labels)) < 2:
            logger.warning("SentenceIntentClassifier needs two intents or more; not trained.")
            return self._resource
        features = sentence_vectors(examples, self.component_config["dense_weight"])
        model = LogisticRegression(
            C=self.component_config["C"],
            max_iter=self.component_config["max_iter"],
            random_state=1,
        ).fit(features, labels)
        self._weights = {
            "coef": model.coef_.astype(np.float32),
            "intercept": model.intercept_.astype(np.float32),
            "classes": model.classes_.astype(str),
        }
        self._coef_t = _transposed(self._weights)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Stores the weights as plain arrays."""
        if self._weights is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez_compressed(directory / WEIGHTS_FILE, **self._weights)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceIntentClassifier:
        """Loads the trained weights (see parent class for full docstring)."""
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as stored:
                    weights = {key: stored[key] for key in stored.files}
        except (ValueError, OSError):
            logger.warning("SentenceIntentClassifier has no trained weights; it will not classify.")
            weights = None
        return cls(config, model_storage, resource, weights)

    def probabilities(self, messages: list[Message]) -> np.ndarray:
        """Each message's probability for each intent (rows sum to 1)."""
        assert self._weights is not None
        features = sentence_vectors(messages, self.component_config["dense_weight"])
        scores = features @ self._coef_t + self._weights["intercept"]
        scores = np.asarray(scores) - np.max(scores, axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent and the ranking of each message that has a text."""
        todo = [m for m in messages if m.get(TEXT) and m.features_present(TEXT)]
        if self._weights is None or not todo:
            return messages
        classes = self._weights["classes"]
        for message, probs in zip(todo, self.probabilities(todo), strict=True):
            order = np.argsort(-probs)[: self.component_config["ranking_length"]]
            ranking = [
                {INTENT_NAME_KEY: str(classes[i]), PREDICTED_CONFIDENCE_KEY: float(probs[i])}
                for i in order
            ]
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

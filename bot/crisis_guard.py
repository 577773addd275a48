"""CrisisGuard: the Rasa NLU component that never lets a crisis message go unrecognised.

It runs LAST in the NLU pipeline (after DIETClassifier and FallbackClassifier) and asks
the one crisis matcher (``safety.crisis``, shared with the services runtime) about every
message. On a match it overrides whatever the classifiers predicted::

    intent          {"name": "crisis_suicide", "confidence": 1.0}
    intent_ranking  the crisis intent first, then the classifiers' other intents
    crisis          {"intent": "crisis_suicide", "language": "es"}

Rules then route ``crisis_*`` intents to their crisis responses. A message that does not
match is left exactly as the classifiers left it.

config.yml::

    pipeline:
      # ... tokenizer, featurizers, DIETClassifier ...
      - name: FallbackClassifier
      - name: bot.crisis_guard.CrisisGuard
        lexicon_path: data/safety/crisis_lexicon.yml   # the default

Training copies the lexicon into the model (so a trained model keeps answering with the
lexicon it was trained and tested with), and the lexicon file's content is part of the
component's fingerprint, so editing the lexicon makes ``rasa train`` retrain it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety.crisis import DEFAULT_LEXICON_PATH, CrisisLexicon

logger = logging.getLogger(__name__)

LEXICON_PATH_KEY = "lexicon_path"
DEFAULT_LEXICON_CONFIG_PATH = "data/safety/crisis_lexicon.yml"
#: Message property (and key in Rasa's parse output) describing the crisis match.
CRISIS_KEY = "crisis"
PERSISTED_FILE_NAME = "crisis_lexicon.json"

# <repo>/ : a relative lexicon_path that is missing from the working directory is
# looked up here too, so `rasa` started from another directory still finds the lexicon.
_REPO_ROOT = DEFAULT_LEXICON_PATH.parent.parent.parent


def resolve_lexicon_path(configured: str | None) -> Path:
    """The lexicon file for a configured ``lexicon_path`` (relative to the working dir)."""
    path = Path(configured or DEFAULT_LEXICON_CONFIG_PATH).expanduser()
    if path.is_absolute() or path.exists():
        return path
    in_repo = _REPO_ROOT / path
    return in_repo if in_repo.exists() else path


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CrisisGuard(GraphComponent, IntentClassifier):
    """Forces the crisis intent when the crisis lexicon matches a message."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Components that should be included in the pipeline before this component."""
        # None are needed, though it belongs LAST, after DIETClassifier and
        # FallbackClassifier, so that nothing can undo its override. (Unlike the
        # FallbackClassifier it cannot declare `[IntentClassifier]`: it is trainable, and
        # Rasa checks requirements in the training graph too, where classifiers do not
        # run one after another.)
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # The crisis lexicon, relative to the working directory (the repo root when
            # Rasa is started by `make run`).
            LEXICON_PATH_KEY: DEFAULT_LEXICON_CONFIG_PATH,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        lexicon: CrisisLexicon | None = None,
    ) -> None:
        """Constructs the component; use `create` or `load`."""
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self._execution_context = execution_context
        self._lexicon = lexicon

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisGuard:
        """Creates a new untrained component (see parent class for full docstring)."""
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The lexicon file's content, so that changing it retrains this component."""
        path = resolve_lexicon_path((config or {}).get(LEXICON_PATH_KEY))
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            # Missing file: `train` will say so clearly.
            return None

    @property
    def lexicon(self) -> CrisisLexicon:
        """The lexicon in use (read from the configured file if not trained/loaded)."""
        if self._lexicon is None:
            self._lexicon = self._load_lexicon_file(self.component_config)
        return self._lexicon

    @staticmethod
    def _load_lexicon_file(config: dict[str, Any]) -> CrisisLexicon:
        path = resolve_lexicon_path(config.get(LEXICON_PATH_KEY))
        lexicon = CrisisLexicon.load(path)
        logger.debug(f"Loaded crisis lexicon from '{path}': {lexicon!r}.")
        return lexicon

    def train(self, training_data: TrainingData) -> Resource:
        """Reads and validates the lexicon file and stores it in the model."""
        self._lexicon = self._load_lexicon_file(self.component_config)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Stores the lexicon (as plain data) in the model storage."""
        with self._model_storage.write_to(self._resource) as model_dir:
            (Path(model_dir) / PERSISTED_FILE_NAME).write_text(
                json.dumps(self.lexicon.to_dict(), ensure_ascii=False), encoding="utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrisisGuard:
        """Loads the lexicon the model was trained with (see parent class for docstring).

        Falls back to the lexicon file if the model holds none (an untrained or damaged
        resource). Raises if neither can be read: a bot that cannot see crises must not
        start (the SMS gateway answers crisis messages itself while Rasa is down).
        """
        lexicon: CrisisLexicon | None = None
        try:
            with model_storage.read_from(resource) as model_dir:
                data = json.loads(
                    (Path(model_dir) / PERSISTED_FILE_NAME).read_text(encoding="utf-8")
                )
            lexicon = CrisisLexicon.from_dict(data)
        except (ValueError, OSError) as exc:
            logger.warning(
                f"No usable crisis lexicon in the model for resource '{resource.name}' "
                f"({exc}); reading the lexicon file instead."
            )
        component = cls(config, model_storage, resource, execution_context, lexicon)
        if lexicon is None:
            component._lexicon = cls._load_lexicon_file(component.component_config)
        return component

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of every message that matches the crisis lexicon."""
        lexicon = self.lexicon
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            hit = lexicon.match(text)
            if hit is None:
                continue

            previous = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            logger.debug(
                f"Crisis lexicon matched '{hit.intent}' ({hit.language}); overriding "
                f"intent '{previous}'."
            )  # no message text in logs
            ranking = [
                entry
                for entry in (message.get(INTENT_RANKING_KEY) or [])
                if entry.get(INTENT_NAME_KEY) != hit.intent
            ]
            crisis_intent = {INTENT_NAME_KEY: hit.intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, crisis_intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(crisis_intent)] + ranking, add_to_output=True)
            message.set(
                CRISIS_KEY,
                {"intent": hit.intent, "language": hit.language},
                add_to_output=True,
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data needs nothing from this component."""
        return training_data

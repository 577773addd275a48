"""CrisisGuard: the Rasa NLU component that has the last word on whether a message is a crisis.

It runs LAST in the NLU pipeline (after the intent classifier and FallbackClassifier) and asks the
one layered judgement (``safety.judge``: lexicon, then risk model; shared with the services
runtime) about every message, overriding whatever the classifiers predicted:

* a crisis (certain)::

    intent          {"name": "crisis_suicide", "confidence": 1.0}
    intent_ranking  the crisis intent first, then the classifiers' other intents
    crisis          {"intent": "crisis_suicide", "language": "es", "level": "crisis", ...}

* possible (between the model's thresholds): intent ``crisis_check`` and an entity
  ``crisis_category`` (overdose, medical, violence, suicide), so the bot asks her directly;
* neither: a crisis intent the classifier guessed on its own is taken away (the judgement
  decides, not the classifier), and the message keeps the classifiers' best other intent.

Rules send crisis intents to their crisis responses and ``crisis_check`` to the direct
question; ``bot/crisis_policy.py`` carries the conversation after that.

config.yml::

    pipeline:
      # ... tokenizer, featurizers, SentenceIntentClassifier ...
      - name: FallbackClassifier
      - name: bot.crisis_guard.CrisisGuard
        lexicon_path: data/safety/crisis_lexicon.yml   # the default

Training copies the lexicon and the risk model into the model (so a trained model keeps
answering with what it was trained and tested with), and both files' contents are part of the
component's fingerprint, so editing either makes ``rasa train`` retrain it.
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
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety.crisis import DEFAULT_LEXICON_PATH, CrisisLexicon
from safety.judge import (
    ASK,
    CRISIS,
    CRISIS_INTENTS,
    DEFAULT_MODEL_PATH,
    SafetyJudge,
)
from safety.semantic import SemanticModel
from safety.textmodel import TextModel

logger = logging.getLogger(__name__)

LEXICON_PATH_KEY = "lexicon_path"
DEFAULT_LEXICON_CONFIG_PATH = "data/safety/crisis_lexicon.yml"
#: Message property (and key in Rasa's parse output) describing the crisis match.
CRISIS_KEY = "crisis"
PERSISTED_FILE_NAME = "crisis_lexicon.json"
PERSISTED_MODEL_NAME = "risk_model.json"
PERSISTED_SEMANTIC_NAME = "risk_semantic.npz"
#: The entity that carries the category of a possible crisis (slot crisis_type).
CATEGORY_ENTITY = "crisis_category"

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
        # None are needed, though it belongs LAST, after the intent classifier and
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
        judge: SafetyJudge | None = None,
    ) -> None:
        """Constructs the component; use `create` or `load`."""
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self._execution_context = execution_context
        self._judge = judge

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
        """The lexicon's and risk models' contents, so that changing any retrains this."""
        path = resolve_lexicon_path((config or {}).get(LEXICON_PATH_KEY))
        try:
            meta = TextModel.load(DEFAULT_MODEL_PATH).meta
            contents = path.read_bytes() + DEFAULT_MODEL_PATH.read_bytes()
            # The embedding reader's file is named by the risk model and hashed in its meta.
            return hashlib.sha256(contents + str(meta.get("semantic_sha256")).encode()).hexdigest()
        except (OSError, ValueError):
            # Missing file: `train` will say so clearly.
            return None

    @property
    def judge(self) -> SafetyJudge:
        """The judgement in use (read from the data files if not trained/loaded)."""
        if self._judge is None:
            self._judge = self._load_files(self.component_config)
        return self._judge

    @property
    def lexicon(self) -> CrisisLexicon:
        return self.judge.lexicon

    @staticmethod
    def _load_files(config: dict[str, Any]) -> SafetyJudge:
        path = resolve_lexicon_path(config.get(LEXICON_PATH_KEY))
        judge = SafetyJudge.load(path, DEFAULT_MODEL_PATH)
        logger.debug(f"Loaded crisis lexicon from '{path}': {judge.lexicon!r}.")
        return judge

    def train(self, training_data: TrainingData) -> Resource:
        """Reads and validates the lexicon and risk model and stores them in the model."""
        self._judge = self._load_files(self.component_config)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Stores the lexicon and the risk model (as plain data) in the model storage."""
        with self._model_storage.write_to(self._resource) as model_dir:
            (Path(model_dir) / PERSISTED_FILE_NAME).write_text(
                json.dumps(self.judge.lexicon.to_dict(), ensure_ascii=False), encoding="utf-8"
            )
            (Path(model_dir) / PERSISTED_MODEL_NAME).write_text(
                json.dumps(self.judge.model.to_dict(), ensure_ascii=False), encoding="utf-8"
            )
            if self.judge.semantic is not None:
                self.judge.semantic.save(Path(model_dir) / PERSISTED_SEMANTIC_NAME)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrisisGuard:
        """Loads what the model was trained with (see parent class for docstring).

        Falls back to the data files if the model holds nothing usable (an untrained or
        damaged resource). Raises if neither can be read: a bot that cannot see crises must
        not start (the SMS gateway answers crisis messages itself while Rasa is down).
        """
        judge: SafetyJudge | None = None
        try:
            with model_storage.read_from(resource) as model_dir:
                folder = Path(model_dir)
                lexicon = CrisisLexicon.from_dict(
                    json.loads((folder / PERSISTED_FILE_NAME).read_text(encoding="utf-8"))
                )
                model = TextModel.from_dict(
                    json.loads((folder / PERSISTED_MODEL_NAME).read_text(encoding="utf-8"))
                )
                semantic = None
                if model.meta.get("semantic_file"):
                    semantic = SemanticModel.load(folder / PERSISTED_SEMANTIC_NAME)
            judge = SafetyJudge(lexicon, model, semantic)
        except (ValueError, OSError, KeyError) as exc:
            logger.warning(
                f"No usable crisis judgement in the model for resource '{resource.name}' "
                f"({exc}); reading the data files instead."
            )
        component = cls(config, model_storage, resource, execution_context, judge)
        if judge is None:
            component._judge = cls._load_files(component.component_config)
        return component

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent of every message from the layered crisis judgement."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            judgement = self.judge.judge(text)
            previous = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            ranking = [
                entry
                for entry in (message.get(INTENT_RANKING_KEY) or [])
                if entry.get(INTENT_NAME_KEY) not in CRISIS_INTENTS
            ]
            if judgement.level not in (CRISIS, ASK):
                if previous in CRISIS_INTENTS:
                    # The classifier alone does not decide a crisis: keep its best other guess.
                    best = ranking[0] if ranking else {INTENT_NAME_KEY: "nlu_fallback"}
                    message.set(INTENT, dict(best), add_to_output=True)
                    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
                continue
            intent = judgement.intent
            logger.debug(
                f"Crisis judgement {judgement.level} '{intent}' ({judgement.source}, "
                f"{judgement.language}); overriding intent '{previous}'."
            )  # no message text in logs
            forced = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, forced, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(forced)] + ranking, add_to_output=True)
            message.set(
                CRISIS_KEY,
                {
                    "intent": intent,
                    "language": judgement.language,
                    "level": judgement.level,
                    "category": judgement.category,
                    "source": judgement.source,
                },
                add_to_output=True,
            )
            if judgement.level == ASK:
                entities = [
                    e for e in (message.get(ENTITIES) or []) if e.get("entity") != CATEGORY_ENTITY
                ]
                entities.append(
                    {
                        "entity": CATEGORY_ENTITY,
                        "value": judgement.category,
                        "start": 0,
                        "end": len(text),
                        "extractor": type(self).__name__,
                    }
                )
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data needs nothing from this component."""
        return training_data

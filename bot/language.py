"""LanguageDetector: tells the bot which language to answer in, English or Spanish.

It runs in the NLU pipeline AFTER ``bot.crisis_guard.CrisisGuard`` and adds one entity,
``language``, spanning the whole message:

* on every crisis message, the language of the crisis lexicon's match ("en" or "es"), so a
  crisis reply is always in the language of the crisis message;
* on any other message, "es" when the message reads as Spanish; nothing otherwise (short
  replies like "ok" or "01105" keep the language she used before).

The ``language`` slot maps from the entity, and responses pick their Spanish variant with a
slot condition (see domain.yml). Detection is a few lines of word counting on purpose: it
has to work on two-word SMS with typos, and it needs no model and no training. It reuses the
crisis matcher's normalisation (lowercase, no accents, SMS shorthand expanded).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.crisis_guard import CRISIS_KEY
from safety.crisis import normalize

LANGUAGE_ENTITY = "language"

# Words (after normalize(): lowercase, no accents) that are common in Spanish texts and rare in
# English ones, and the other way round. Words both languages use ("no", "me", "a") are in
# neither list.
SPANISH_WORDS = frozenset(
    """
    que el la los las del al en y por para con sin esta estas estoy estamos es son soy fue
    mi mis tu tus su sus una uno unos unas lo le les nos se te muy mas pero porque cuando
    donde como quien quiero quiere quieres necesito necesita tengo tiene tienes puedo puede
    puedes ayuda ayudame hola gracias buenas buenos dias noches tardes bebe bebes hijo hija
    hijos hijas nino nina ninos esposo novio pareja casa cita doctora clinica trabajo
    ahora hoy manana ayer bien mal tambien nada algo alguien nadie todo todos siempre nunca
    vivo vivir hablar decir hacer ir voy vas va vamos ser estar hay hace tuve tengo tenia
    embarazada embarazo semanas meses parto leche comida dinero carro transporte vivienda
    espanol ingles favor si claro vale pues entonces aqui alli eso esto ese esa ellos ella
    """.split()
)
ENGLISH_WORDS = frozenset(
    """
    the i im ive id ill you your youre my he hes she shes it its is are was were be been
    to and of in on for with at from this that what how where when who why can cant do dont
    does did didnt have has had want need help get got just please not out up about would
    could should will wont going know think like yes yeah ok okay thanks thank hi hey baby
    kids doctor appt appointment ride today tomorrow work home some any all more there here
    """.split()
)


def detect_language(text: str) -> str | None:
    """"es" when the text reads as Spanish, "en" when it reads as English, else None."""
    words = normalize(text).split()
    spanish = sum(1 for w in words if w in SPANISH_WORDS)
    english = sum(1 for w in words if w in ENGLISH_WORDS)
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds the ``language`` entity: the crisis match's language, or "es" for Spanish."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {}

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Creates the component (see parent class for full docstring)."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data needs nothing from this component."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the ``language`` entity to the messages it can tell the language of."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            crisis = message.get(CRISIS_KEY)
            if isinstance(crisis, dict) and crisis.get("language"):
                language: str | None = str(crisis["language"])
            else:
                language = "es" if detect_language(text) == "es" else None
            if language is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: LANGUAGE_ENTITY,
                ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            }
            entities = [
                e for e in message.get(ENTITIES, []) if e.get("entity") != LANGUAGE_ENTITY
            ]
            entities += self.add_extractor_name([entity])
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

"""SmsTokenizer: Rasa's whitespace tokenizer, with each word also given its SMS-normal form.

Women text "u", "ur", "rn", "idk", "dont"/"don't", "está"/"esta". The featurizers count a
token's lemma, so each token's lemma is set to the crisis matcher's normal form
(``safety.crisis.normalize``: lowercase, no accents or apostrophes, shorthand expanded), and a
shorthand that stands for several words ("rn" -> "right now", "idk" -> "i dont know") becomes
one token per word, all spanning the original characters. One normaliser for the crisis
lexicon and the classifier, so they read a text the same way. The token text is untouched.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from safety.crisis import normalize

APOSTROPHES = "'\u2019\u2018\u02bc`"


def _join_contractions(tokens: list[Token], text: str) -> list[Token]:
    """One token for "don't", "i'm", "baby's": the whitespace tokenizer splits at the
    apostrophe, while the normal form ("dont") is one word."""
    joined: list[Token] = []
    for token in tokens:
        prev = joined[-1] if joined else None
        if (
            prev is not None
            and token.start == prev.end + 1
            and text[prev.end] in APOSTROPHES
            and token.text.isalpha()
        ):
            joined[-1] = Token(text[prev.start : token.end], prev.start, token.end)
        else:
            joined.append(token)
    return joined


def sms_tokens(tokens: list[Token], text: str) -> list[Token]:
    """The tokens with SMS-normal lemmas; a shorthand for several words becomes several."""
    result: list[Token] = []
    for token in _join_contractions(tokens, text):
        words = normalize(token.text).split() or [token.text.lower()]
        if len(words) == 1:
            token.lemma = words[0]
            result.append(token)
            continue
        for word in words:
            result.append(Token(word, token.start, token.end, lemma=word))
    return result


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class SmsTokenizer(WhitespaceTokenizer):
    """Whitespace tokens with SMS-normal lemmas (see the module docstring)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SmsTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        # Only her text: intent and action names ("need_moud") keep their one token.
        return sms_tokens(tokens, message.get(attribute)) if attribute == TEXT else tokens

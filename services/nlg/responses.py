"""Response texts by name, from the bot's domain.yml and the gateway's own messages file.

The gateway reads the bot's crisis responses from here so that, with Rasa down, she gets the
same words the bot would have sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from services.settings import DATA_DIR, REPO_ROOT

DOMAIN_PATH = REPO_ROOT / "domain.yml"
GATEWAY_MESSAGES_PATH = DATA_DIR / "gateway" / "messages.yml"


@dataclass(frozen=True)
class ResponseTexts:
    texts: dict[str, str]
    # (name, language) -> the variant whose only condition is the `language` slot
    translations: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, name: str, language: str | None = None) -> str:
        """The text in `language` when the domain has that variant, else the default."""
        if language and (name, language) in self.translations:
            return self.translations[(name, language)]
        try:
            return self.texts[name]
        except KeyError:
            raise KeyError(f"no response text named {name!r}") from None


def _language_of(variant: dict) -> str | None:
    """"es" for a variant conditioned only on the language slot being "es"."""
    condition = variant.get("condition")
    if isinstance(condition, list) and len(condition) == 1:
        (only,) = condition
        if isinstance(only, dict) and only.get("type") == "slot" and only.get("name") == "language":
            return str(only.get("value"))
    return None


def load_response_texts(
    domain_path: Path = DOMAIN_PATH, gateway_path: Path = GATEWAY_MESSAGES_PATH
) -> ResponseTexts:
    """The unconditioned text of every domain response and its per-language variants, plus
    the gateway's messages."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    texts: dict[str, str] = {}
    translations: dict[tuple[str, str], str] = {}
    for name, variants in (domain.get("responses") or {}).items():
        for variant in variants:
            if not isinstance(variant, dict) or "text" not in variant:
                continue
            if "condition" not in variant:
                texts.setdefault(name, variant["text"])
            elif language := _language_of(variant):
                translations.setdefault((name, language), variant["text"])
    gateway = yaml.safe_load(gateway_path.read_text(encoding="utf-8")) or {}
    for key, value in gateway.items():
        name = f"gateway_{key}"
        if isinstance(value, dict):  # {en: ..., es: ...}
            texts[name] = value["en"]
            translations.update({(name, lang): text for lang, text in value.items()})
        else:
            texts[name] = value
    return ResponseTexts(texts, translations)

"""Response texts by name, from the bot's domain.yml and the gateway's own messages file.

The gateway reads the bot's crisis responses from here so that, with Rasa down, she gets the
same words the bot would have sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from services.settings import DATA_DIR, REPO_ROOT

DOMAIN_PATH = REPO_ROOT / "domain.yml"
GATEWAY_MESSAGES_PATH = DATA_DIR / "gateway" / "messages.yml"


@dataclass(frozen=True)
class ResponseTexts:
    texts: dict[str, str]

    def get(self, name: str) -> str:
        try:
            return self.texts[name]
        except KeyError:
            raise KeyError(f"no response text named {name!r}") from None


def load_response_texts(
    domain_path: Path = DOMAIN_PATH, gateway_path: Path = GATEWAY_MESSAGES_PATH
) -> ResponseTexts:
    """The first text variant of every domain response, plus the gateway's messages."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    texts: dict[str, str] = {}
    for name, variants in (domain.get("responses") or {}).items():
        first = next((v["text"] for v in variants if isinstance(v, dict) and "text" in v), None)
        if first is not None:
            texts[name] = first
    gateway = yaml.safe_load(gateway_path.read_text(encoding="utf-8")) or {}
    texts.update({f"gateway_{key}": value for key, value in gateway.items()})
    return ResponseTexts(texts)

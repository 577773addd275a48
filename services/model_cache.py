"""The trained Rasa model is cached by a hash of everything that shapes it, so unchanged
config, domain and data are never retrained."""

from __future__ import annotations

import hashlib
from pathlib import Path

from services.settings import REPO_ROOT

# Inputs that change what `rasa train` produces (the crisis guard persists the lexicon and
# the risk model; the crisis policy reads safety/).
MODEL_INPUTS = (
    "config.yml",
    "domain.yml",
    "data/nlu",
    "data/rules",
    "data/stories",
    "data/safety",
    "bot/crisis_guard.py",
    "bot/language.py",
    "bot/sms_tokenizer.py",
    "bot/use_featurizer.py",
    "safety/crisis.py",
    "safety/embedding.py",
    "safety/judge.py",
    "safety/textmodel.py",
    "requirements/bot.txt",
)
MODELS_DIR = REPO_ROOT / "models"


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for name in MODEL_INPUTS:
        path = root / name
        if path.is_dir():
            found.extend(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix in {".yml", ".yaml", ".py", ".txt", ".json"}
                and "__pycache__" not in p.parts
                and "tests" not in p.parts
            )
        elif path.is_file():
            found.append(path)
    return sorted(found)


def model_fingerprint(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_name(root: Path = REPO_ROOT) -> str:
    return f"tandem-{model_fingerprint(root)}"


def model_path(root: Path = REPO_ROOT) -> Path:
    return MODELS_DIR / f"{model_name(root)}.tar.gz"

"""The labelled texts the risk and opt-out models learn from, and their fingerprint.

Stdlib + PyYAML only (both runtimes import it: the tests check in each that the committed
models were trained on the data as it is now). Training itself is ``safety/train.py``.

* ``data/safety/training/*.tsv``: ``label<TAB>text`` (comment lines start with ``#``);
* ``data/nlu/*.yml``: crisis intents as their category, every other intent as ``none``;
  ``data/nlu/outside_*.yml`` hold texts written by outsiders (blind NLU sets after their first
  measurement), marked so the risk models can leave them out (safety/train.py says why).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
TRAINING_DIR = REPO / "data" / "safety" / "training"
NLU_DIR = REPO / "data" / "nlu"
RISK_MODEL = REPO / "data" / "safety" / "risk_model.json"
RISK_SEMANTIC = REPO / "data" / "safety" / "risk_semantic.npz"
OPTOUT_MODEL = REPO / "data" / "safety" / "optout_model.json"
OPTOUT_SEMANTIC = REPO / "data" / "safety" / "optout_semantic.npz"
MODELS = (RISK_MODEL, OPTOUT_MODEL)

# TSV labels -> risk-model class (labels not listed are not used by that model).
RISK_LABELS = {
    "suicide": "suicide",
    "selfharm": "suicide",
    "overdose": "overdose",
    "medical": "medical",
    "violence": "violence",
    "none": "none",
    "optout": "none",
    "not_optout": "none",
}
OPTOUT_LABELS = {"optout": "optout", "not_optout": "none", "none": "none"}
NLU_CRISIS = {
    "crisis_overdose": "overdose",
    "crisis_suicide": "suicide",
    "crisis_violence": "violence",
    "crisis_medical": "medical",
}
#: NLU files of texts written outside the team (``data/nlu/outside_nlu_B.yml``).
OUTSIDE_PREFIX = "outside_"
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")
_CODE = (
    "textmodel.py",
    "semantic.py",
    "crisis.py",
    "train.py",
    "fitting.py",
    "training_data.py",
)


def training_files() -> list[Path]:
    return sorted(TRAINING_DIR.glob("*.tsv")) + sorted(NLU_DIR.glob("*.yml"))


def data_hash() -> str:
    """sha256 over the training files (name and content) and the code that shapes a model."""
    digest = hashlib.sha256()
    for path in [*training_files(), *(REPO / "safety" / name for name in _CODE)]:
        digest.update(path.relative_to(REPO).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stale_models() -> list[str]:
    """The model files not trained on the data as it is now (`make safety-model`), or whose
    ``.npz`` companion is not the one trained with them."""
    sha = data_hash()
    stale = []
    for path in MODELS:
        meta = json.loads(path.read_text(encoding="utf-8"))["meta"] if path.exists() else {}
        companion = path.parent / meta.get("semantic_file", "") if meta else None
        if meta.get("data_sha256") != sha:
            stale.append(path.name)
        elif "semantic_file" in meta and (
            not companion.is_file() or file_sha256(companion) != meta.get("semantic_sha256")
        ):
            stale.append(companion.name)
    return stale


def tsv_rows() -> list[tuple[str, str]]:
    return [row for rows in tsv_rows_by_file().values() for row in rows]


def tsv_rows_by_file() -> dict[str, list[tuple[str, str]]]:
    """``{file stem: [(label, text), ...]}``; ``blind_*`` files were written by outsiders."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(TRAINING_DIR.glob("*.tsv")):
        rows = found.setdefault(path.stem, [])
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            label, sep, text = line.partition("\t")
            if not sep or not text.strip():
                raise ValueError(f"{path}:{n}: expected label<TAB>text")
            rows.append((label.strip(), text.strip()))
    return found


def nlu_rows() -> list[tuple[str, str, bool]]:
    """``(label, text, written outside the team)`` for every NLU example."""
    rows = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        outside = path.stem.startswith(OUTSIDE_PREFIX)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent")
            if not intent:
                continue
            for line in str(block.get("examples") or "").splitlines():
                text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text:
                    rows.append((NLU_CRISIS.get(intent, "none"), text, outside))
    return rows

"""Tandem's taxonomy codes, groups and features, read from data/taxonomy.yml."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from services.settings import DATA_DIR

TAXONOMY_PATH = DATA_DIR / "taxonomy.yml"


class UnknownNeed(ValueError):
    """A need that is neither a taxonomy code nor a group."""


class UnknownFeature(ValueError):
    """A feature key that data/taxonomy.yml does not list."""


@dataclass(frozen=True)
class Need:
    query: str
    codes: tuple[str, ...]
    label: str


LANGUAGES = ("en", "es")
_AND = {"en": " and ", "es": " y "}


@dataclass(frozen=True)
class Taxonomy:
    labels: dict[str, str]
    groups: dict[str, tuple[str, tuple[str, ...]]]
    features: dict[str, str]  # feature key -> its English label
    labels_es: dict[str, str] = field(default_factory=dict)  # codes and groups, in Spanish
    features_es: dict[str, str] = field(default_factory=dict)  # features, in Spanish

    def resolve(self, query: str, language: str = "en") -> Need:
        """A comma-separated list of codes or group keys -> the codes to search for, named
        in her language."""
        codes: list[str] = []
        labels: list[str] = []
        for part in (p.strip().lower() for p in query.split(",")):
            if part in self.labels:
                found: tuple[str, ...] = (part,)
            elif part in self.groups:
                found = self.groups[part][1]
            else:
                raise UnknownNeed(part)
            codes.extend(c for c in found if c not in codes)
            labels.append(self.label(part, language))
        if not codes:
            raise UnknownNeed(query)
        return Need(query=query, codes=tuple(codes), label=_AND.get(language, " and ").join(labels))

    def resolve_features(self, query: str) -> tuple[str, ...]:
        """A comma-separated list of feature keys ("masshealth,childcare_onsite"), in order,
        without repeats; an empty query asks for no feature."""
        keys = [k for k in (p.strip().lower() for p in query.split(",")) if k]
        for key in keys:
            if key not in self.features:
                raise UnknownFeature(key)
        return tuple(dict.fromkeys(keys))

    def feature_label(self, feature: str, language: str = "en") -> str | None:
        """A feature in words, in her language (English when untranslated); None if unknown."""
        if language == "es" and feature in self.features_es:
            return self.features_es[feature]
        return self.features.get(feature)

    def label(self, code: str, language: str = "en") -> str:
        """A code's or group's name for her, in her language (English when untranslated)."""
        if language == "es" and code in self.labels_es:
            return self.labels_es[code]
        return self.labels.get(code) or self.groups[code][0]


def parse_taxonomy(data: dict) -> Taxonomy:
    labels = {code: spec["label"] for code, spec in data["codes"].items()}
    groups = {}
    for key, spec in data.get("groups", {}).items():
        unknown = set(spec["codes"]) - labels.keys()
        if unknown:
            raise ValueError(f"group {key} names unknown codes: {sorted(unknown)}")
        groups[key] = (spec["label"], tuple(spec["codes"]))
    labels_es = {
        key: spec["label_es"]
        for section in ("codes", "groups")
        for key, spec in data.get(section, {}).items()
        if spec.get("label_es")
    }
    features: dict[str, str] = {}
    features_es: dict[str, str] = {}
    for key, spec in (data.get("features") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
            raise ValueError(f'feature {key} needs a label: {{label: "...", label_es: "..."}}')
        features[key] = spec["label"]
        if spec.get("label_es"):
            features_es[key] = str(spec["label_es"])
    return Taxonomy(
        labels=labels,
        groups=groups,
        features=features,
        labels_es=labels_es,
        features_es=features_es,
    )


@cache
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    return parse_taxonomy(yaml.safe_load(path.read_text(encoding="utf-8")))

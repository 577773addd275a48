"""Map outside HSDS taxonomy terms and attribute values to Tandem codes and features.

Staff edit `data/directory/taxonomy_mapping.yml`. Tandem's own codes and feature keys always
map to themselves; anything else found in neither the file nor the taxonomy is reported as
unmapped by the importer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from services.directory.taxonomy import Taxonomy
from services.settings import DATA_DIR

MAPPING_PATH = DATA_DIR / "directory" / "taxonomy_mapping.yml"
FALSE_VALUES = frozenset({"false", "no", "0", "n"})


def _key(text: str) -> str:
    return " ".join(text.strip().lower().split())


@dataclass(frozen=True)
class TermMapping:
    # Outside term code or name (normalised) -> Tandem code or feature.
    terms: dict[str, str] = field(default_factory=dict)
    # Outside term code or name -> attribute value -> Tandem code or feature.
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, taxonomy: Taxonomy, code: str, name: str, value: str) -> str | None:
        """The Tandem code or feature a term (with its attribute value) stands for, or None."""
        if code in taxonomy.labels or code in taxonomy.features:
            return code
        for key in (_key(code), _key(name)):
            if not key:
                continue
            by_value = self.values.get(key)
            if by_value and _key(value) in by_value:
                return by_value[_key(value)]
            if key in self.terms:
                return self.terms[key]
        return None


def parse_mapping(data: dict | None, taxonomy: Taxonomy) -> TermMapping:
    data = data or {}
    known = taxonomy.labels.keys() | taxonomy.features.keys()

    def target(where: str, value: object) -> str:
        if value not in known:
            raise ValueError(f"{where} maps to {value!r}, which is no Tandem code or feature")
        return str(value)

    terms = {_key(str(k)): target(str(k), v) for k, v in (data.get("terms") or {}).items()}
    values = {
        _key(str(term)): {
            _key(str(v)): target(f"{term}: {v}", t) for v, t in (by_value or {}).items()
        }
        for term, by_value in (data.get("attribute_values") or {}).items()
    }
    return TermMapping(terms=terms, values=values)


def load_mapping(taxonomy: Taxonomy, path: Path = MAPPING_PATH) -> TermMapping:
    if not path.exists():
        return TermMapping()
    return parse_mapping(yaml.safe_load(path.read_text(encoding="utf-8")), taxonomy)

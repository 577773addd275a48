"""Shared by every suite (bot, safety, services, e2e).

The crisis lexicon compiles once per test process. Building it (CrisisLexicon.from_dict) is
about half a second of regular expressions, and the tests build it again and again: each
CrisisGuard trained or loaded, each crisis policy and judge, each app. The lexicon is
immutable and the same data always compiles to the same lexicon, so for the session
from_dict is memoised by its data (invalid data still raises every time). The running stack
needs no such help: each of its processes builds its lexicon once, at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from safety.crisis import CrisisLexicon


@pytest.fixture(scope="session", autouse=True)
def crisis_lexicon_compiled_once() -> Iterator[None]:
    build = CrisisLexicon.from_dict.__func__  # type: ignore[attr-defined]
    compiled: dict[str, CrisisLexicon] = {}

    def from_dict(cls: type[CrisisLexicon], data: Any) -> CrisisLexicon:
        key = repr(data)  # plain YAML/JSON data: its repr is the data
        if key not in compiled:
            compiled[key] = build(cls, data)
        return compiled[key]

    patch = pytest.MonkeyPatch()
    patch.setattr(CrisisLexicon, "from_dict", classmethod(from_dict))
    yield
    patch.undo()

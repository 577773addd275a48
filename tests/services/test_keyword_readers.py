"""The opt-out readers (an n-gram model and a sentence embedding, about 10 ms a text) are
consulted only when they decide: a one-word text, a keyword or a phrase that says stop in so
many words is classified without them, with the same answer."""

from __future__ import annotations

import pytest

from services.gateway.keywords import Keyword, Keywords, load_keywords


@pytest.fixture
def consulted(monkeypatch) -> list[str]:
    texts: list[str] = []
    read = Keywords.opt_out_probability

    def counting(self: Keywords, text: str) -> float:
        texts.append(text)
        return read(self, text)

    monkeypatch.setattr(Keywords, "opt_out_probability", counting)
    return texts


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("thanks", None),
        ("01105", None),
        ("STOP", Keyword.OPT_OUT),
        ("unsubcribe", Keyword.OPT_OUT),
        ("take me off ur list", Keyword.OPT_OUT),
        ("dont stop texting me", None),
    ],
)
def test_answered_without_the_readers(consulted: list[str], text: str, kind) -> None:
    assert load_keywords().classify(text, opted_out=False) is kind
    assert consulted == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("i need a ride to my appointment tomorrow", None),
        ("i dont need these texts anymore", Keyword.OPT_OUT),
    ],
)
def test_the_readers_decide_the_rest(consulted: list[str], text: str, kind) -> None:
    assert load_keywords().classify(text, opted_out=False) is kind
    assert len(consulted) == 1

"""The crisis policy reads her last few texts again on every turn (bot/crisis_policy.py):
each text's risk is worked out once per Rasa process and remembered, and every judgement
stays what it was."""

from __future__ import annotations

import pytest

from bot.crisis_policy import remembering
from safety.judge import SafetyJudge

# Under the question's line together, over it with her next text (safety/judge.py asks on the
# turn her text raises them over it).
HISTORY = ["the baby is at my moms all weekend", "dropped off the dog at my cousins for good", "ok"]
TURNS = ["anyway thanks for everything", "anyway thanks for everything", "i need diapers", "hi"]


def test_her_earlier_texts_are_read_once_and_judged_the_same(monkeypatch) -> None:
    plain = SafetyJudge.load()
    expected = [plain.judge(text, HISTORY) for text in TURNS]
    read: list[str] = []
    risk = SafetyJudge.risk

    def counting(self: SafetyJudge, text: str) -> tuple[float, str | None]:
        read.append(text)
        return risk(self, text)

    monkeypatch.setattr(SafetyJudge, "risk", counting)
    judge = remembering(SafetyJudge.load())
    assert [judge.judge(text, HISTORY) for text in TURNS] == expected
    assert expected[0].level == "ask"  # the conversation layer did read the history
    for text in HISTORY:
        assert read.count(text) <= 1, text
    assert read.count("anyway thanks for everything") == 1


@pytest.mark.parametrize("text", ["i want to kill myself", "hes not breathing", "hi"])
def test_a_remembered_risk_is_the_risk(text: str) -> None:
    judge = remembering(SafetyJudge.load())
    assert judge.risk(text) == judge.risk(text) == SafetyJudge.load().risk(text)

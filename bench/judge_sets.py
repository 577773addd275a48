"""The crisis judgement alone on labelled sets: each text judged by itself (no "hi", no
history, no stack), in a few seconds. For comparing two trainings on sets neither learned;
the first-sight figures come from bench/safety_eval.py, through the real stack.

    PYTHONPATH=. .venv/bin/python bench/judge_sets.py bench/blind/safety_P.yml ...

A set with crisis cases prints crisis-reply and crisis-or-question recall and the false
crisis replies and questions on its other texts (opt-outs left out); a set without (an NLU
set's ordinary texts) prints how many got a crisis reply or a question.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from safety.judge import ASK, CRISIS, SafetyJudge  # noqa: E402

OPT_OUTS = {"optout", "opt_out"}


def figures(judge: SafetyJudge, path: Path) -> str:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    seen: Counter[tuple[bool, str]] = Counter()
    for case in cases:
        if case["category"] in OPT_OUTS:
            continue
        seen[case["category"].startswith("crisis"), judge.judge(case["text"]).level] += 1
    crises = sum(n for (is_crisis, _), n in seen.items() if is_crisis)
    others = sum(n for (is_crisis, _), n in seen.items() if not is_crisis)
    false = (
        f"false crisis {seen[False, CRISIS]}/{others}, false question {seen[False, ASK]}/{others}"
    )
    if not crises:
        return f"{path.name}: {false}"
    caught = seen[True, CRISIS] + seen[True, ASK]
    return (
        f"{path.name}: crisis {seen[True, CRISIS] / crises:.3f}, crisis or question "
        f"{caught / crises:.3f} ({crises - caught} missed of {crises}), {false}"
    )


def main(argv: list[str]) -> int:
    judge = SafetyJudge.load()
    thresholds = {name: round(value, 4) for name, value in judge.model.thresholds.items()}
    print(f"thresholds {thresholds}")
    for name in argv:
        print(figures(judge, Path(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Move a blind set into the training data, after its first measurement (never before).

    .venv/bin/python bench/blind_to_training.py --safety bench/blind/safety_G.yml --name G
    .venv/bin/python bench/blind_to_training.py --nlu bench/blind/nlu_B.yml --name nlu_B

* a safety set becomes ``data/safety/training/blind_<name>.tsv`` (``label<TAB>text``): the
  risk and opt-out models learn from it and, as a ``blind_*`` file, it is one of the "new
  writers" their thresholds are read from (safety/train.py);
* an NLU set becomes ``data/nlu/outside_<name>.yml``: the bot's intents learn from it (the risk
  models leave it out: safety/train.py says why). ``crisis`` cases stay out (the judgement, not
  an intent, decides those) and so do ``opt_out`` cases (the gateway reads them).

Texts already in the training data are skipped, so a text never has two labels, and so are
texts of the NLU test set (``tests/nlu``) and any text a test quotes (a first-sight miss turned
into a regression case): a text joins the tests or the training data, never both.
Then run ``make safety-model`` (and ``make train``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
TEST_SET_DIR = TESTS / "nlu"
TEST_SUFFIXES = {".py", ".yml", ".tsv"}
sys.path.insert(0, str(REPO))

from safety.training_data import (  # noqa: E402
    NLU_DIR,
    OUTSIDE_PREFIX,
    TRAINING_DIR,
    nlu_rows,
    tsv_rows,
)

# Blind-set category -> training label (safety/training_data.py's TSV labels).
SAFETY_LABELS = {
    "crisis_suicide": "suicide",
    "crisis_selfharm": "selfharm",
    "crisis_overdose": "overdose",
    "crisis_violence": "violence",
    "crisis_baby": "medical",
    "crisis_maternal": "medical",
    "everyday_tricky": "none",
    "optout": "optout",
    "answer_yes": "answer_yes",
    "answer_no": "answer_no",
}
NLU_LEFT_OUT = {"crisis", "opt_out"}


def plain(text: str) -> str:
    """Lowercase words without punctuation: how tests/bot/test_nlu_data.py compares texts."""
    return " ".join(re.sub(r"[^\w#]+", " ", text.lower()).split())


def known_texts() -> set[str]:
    known = {text for _, text in tsv_rows()} | {t for _, t, _ in nlu_rows()}
    known |= {t for path in TEST_SET_DIR.glob("*.yml") for t, _ in _examples(path)}
    return {plain(t) for t in known}


def quoted_in_tests() -> str:
    """Every test file's text, in the plain form (to find a blind text a test quotes)."""
    files = (p for p in TESTS.rglob("*") if p.suffix in TEST_SUFFIXES and p.is_file())
    return "\n".join(plain(p.read_text(encoding="utf-8", errors="ignore")) for p in files)


def _examples(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        (line.strip()[2:], str(block["intent"]))
        for block in data.get("nlu") or []
        if "intent" in block
        for line in str(block.get("examples") or "").splitlines()
        if line.strip().startswith("- ")
    ]


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def safety_tsv(cases: list[dict], name: str) -> tuple[str, int]:
    known, tests = known_texts(), quoted_in_tests()
    rows = []
    for case in cases:
        text = one_line(case["text"])
        if plain(text) not in known and plain(text) not in tests:
            known.add(plain(text))
            rows.append(f"{SAFETY_LABELS[case['category']]}\t{text}")
    header = (
        f"# Blind set safety_{name} (its writer saw only GUIDE.md and BLIND_SETS.md),\n"
        f"# measured first (bench/results/safety_first_sight.md), moved here on "
        f"{dt.date.today().isoformat()} for training.\n"
    )
    return header + "\n".join(rows) + "\n", len(rows)


def nlu_yaml(cases: list[dict], name: str, intents: set[str]) -> tuple[str, int]:
    known = known_texts()
    by_intent: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        intent, text = case["category"], one_line(case["text"])
        if intent in NLU_LEFT_OUT or plain(text) in known:
            continue
        if intent not in intents:
            raise SystemExit(f"{case['id']}: {intent!r} is not an intent in domain.yml")
        known.add(plain(text))
        by_intent[intent].append(text)
    blocks = [
        {"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)}
        for intent, texts in sorted(by_intent.items())
    ]
    header = (
        f"# Blind set {name}, written outside the team (GUIDE.md, BLIND_SETS.md and the intent\n"
        f"# list only), measured first (bench/results/nlu_first_sight.md), moved here on "
        f"{dt.date.today().isoformat()}.\n"
    )
    body = yaml.dump(
        {"version": "3.1", "nlu": blocks}, Dumper=_Literal, allow_unicode=True, sort_keys=False
    )
    return header + body, sum(len(t) for t in by_intent.values())


class _Literal(yaml.SafeDumper):
    """Examples as a ``|`` block, the way Rasa's data files write them."""


_Literal.add_representer(
    str,
    lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--safety", type=Path, help="a blind safety set (YAML)")
    kind.add_argument("--nlu", type=Path, help="a blind NLU set (YAML)")
    parser.add_argument("--name", required=True, help="the set's name: G, nlu_B, ...")
    args = parser.parse_args(argv)
    cases = yaml.safe_load((args.safety or args.nlu).read_text(encoding="utf-8"))["cases"]
    if args.safety:
        out, (text, count) = TRAINING_DIR / f"blind_{args.name}.tsv", safety_tsv(cases, args.name)
    else:
        domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
        intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
        out = NLU_DIR / f"{OUTSIDE_PREFIX}{args.name}.yml"
        text, count = nlu_yaml(cases, args.name, intents)
    if out.exists():
        raise SystemExit(f"{out} exists: a set joins the training data once")
    out.write_text(text, encoding="utf-8")
    print(f"{out.relative_to(REPO)}: {count} of {len(cases)} texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

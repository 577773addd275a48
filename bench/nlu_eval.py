"""Measure Tandem's NLU on the held-out test set (tests/nlu/) and print the quality targets.

Run with the bot venv from the repository root:

    PYTHONPATH=. .venv-bot/bin/python bench/nlu_eval.py --train          # train, time, measure
    PYTHONPATH=. .venv-bot/bin/python bench/nlu_eval.py --model models/x.tar.gz
    PYTHONPATH=. .venv-bot/bin/python bench/nlu_eval.py --model m.tar.gz --train-seconds 212

It parses every test example with the trained model (the whole NLU pipeline, crisis guard
included: what the bot would act on) and prints:

* intent accuracy and macro F1 over the test set's intents (target >= 0.93 and >= 0.90);
* crisis recall: the share of crisis examples that end up as a crisis intent, from the
  lexicon or the model (target 1.0), with the lexicon's and the exact-category recall beside it;
* the non-crisis false-positive rate: non-crisis examples flagged as crisis (target <= 1%);
* the training time of the whole model (rasa train: NLU and dialogue), if measured or given
  (target < 300 s on the 2-core machine);
* with --errors, the misclassified examples (never fix them by copying test examples into
  data/nlu: tests/bot/test_nlu_data.py forbids it).

Each file in tests/nlu is measured on its own, then all of them together.

--check exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
TEST_SET_DIR = REPO / "tests" / "nlu"
CRISIS_PREFIX = "crisis_"

TARGETS = {
    "accuracy": 0.93,
    "macro_f1": 0.90,
    "crisis_recall": 1.0,
    "non_crisis_flagged": 0.01,
    "train_seconds": 300.0,
}


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs from a Rasa YAML NLU file, entity annotations removed."""
    import re

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu") or []:
        intent = block.get("intent")
        if not intent:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text = line[2:].strip()
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
                text = text[1:-1]
            text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
            text = re.sub(r"\[([^\]]+)\]\{[^}]+\}", r"\1", text)
            pairs.append((text, str(intent)))
    return pairs


# Labels of a blind set (../shared/evaluation/BLIND_SETS.md, INTENTS.md) that are not one
# intent: any crisis intent (the judgement's, crisis_check included) is right for "crisis";
# opt-outs never reach the NLU (the SMS gateway handles them), so they are left out here.
BLIND_CRISIS = "crisis"
BLIND_LEFT_OUT = {"opt_out"}
FIRST_SIGHT_LOG = REPO / "bench" / "results" / "nlu_first_sight.md"


def load_blind_set(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from a blind set's `cases:`, opt-outs left out."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        (str(c["text"]), str(c["category"]))
        for c in data.get("cases") or []
        if str(c["category"]) not in BLIND_LEFT_OUT
    ]


def blind_predictions(parsed: list[dict[str, Any]]) -> list[str]:
    names = [str((p.get("intent") or {}).get("name")) for p in parsed]
    return [BLIND_CRISIS if n.startswith(CRISIS_PREFIX) else n for n in names]


def append_first_sight(name: str, result: dict[str, Any], fallback: float, note: str) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    if not FIRST_SIGHT_LOG.exists():
        FIRST_SIGHT_LOG.parent.mkdir(parents=True, exist_ok=True)
        FIRST_SIGHT_LOG.write_text(
            "# NLU: first-sight log\n\n"
            "Each row is a set written blind (briefed with GUIDE.md and the intent list only),\n"
            "measured by `bench/nlu_eval.py --blind` before anything was changed because of it.\n\n"
            "| date | commit | set | size | accuracy | macro F1 | fallback | worst intents "
            "| note |\n"
            "|---|---|---|---|---|---|---|---|---|\n",
            encoding="utf-8",
        )
    worst = sorted(result["per_intent_f1"].items(), key=lambda kv: kv[1])[:6]
    row = (
        f"| {time.strftime('%Y-%m-%d')} | {commit} | {name} | {result['examples']} | "
        f"{result['accuracy']:.3f} | {result['macro_f1']:.3f} | {fallback:.3f} | "
        + ", ".join(f"{k} {v:.2f}" for k, v in worst)
        + f" | {note} |\n"
    )
    with FIRST_SIGHT_LOG.open("a", encoding="utf-8") as f:
        f.write(row)


def train(out_dir: Path) -> tuple[Path, float]:
    """rasa train (NLU and dialogue) into out_dir; the model and the wall-clock seconds.

    With an empty cache of its own: every component is trained, as on a fresh machine
    (`make train` reuses .rasa/cache for the components whose inputs did not change)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_CACHE_DIRECTORY": str(out_dir / "cache"),
    }
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    rasa = Path(sys.executable).parent / "rasa"
    started = time.monotonic()
    subprocess.run(
        [str(rasa), "train", "--out", str(out_dir), "--fixed-model-name", "nlu-eval"],
        cwd=REPO,
        env=env,
        check=True,
    )
    return out_dir / "nlu-eval.tar.gz", time.monotonic() - started


async def predict(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rasa.core.agent import Agent
        from rasa.utils.common import configure_logging_and_warnings
        from rasa.utils.log_utils import configure_structlog

        configure_logging_and_warnings(logging.ERROR)
        configure_structlog(logging.ERROR)
        agent = Agent.load(str(model))
        return [await agent.parse_message(text) for text in texts]


def f1_scores(gold: list[str], predicted: list[str]) -> dict[str, float]:
    """Per-intent F1 over the intents of the test set."""
    scores = {}
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return scores


def evaluate(examples: list[tuple[str, str]], parsed: list[dict[str, Any]]) -> dict[str, Any]:
    from safety.crisis import CrisisLexicon

    lexicon = CrisisLexicon.load()
    texts = [t for t, _ in examples]
    gold = [g for _, g in examples]
    predicted = [str((p.get("intent") or {}).get("name")) for p in parsed]
    is_crisis = [g.startswith(CRISIS_PREFIX) for g in gold]
    flagged = [p.startswith(CRISIS_PREFIX) for p in predicted]
    lexicon_hits = [lexicon.match(t) is not None for t in texts]

    crisis_n = sum(is_crisis)
    other_n = len(gold) - crisis_n
    rows = list(zip(gold, predicted, flagged, lexicon_hits, is_crisis, strict=True))
    crisis_rows = [r for r in rows if r[4]]
    other_rows = [r for r in rows if not r[4]]
    f1 = f1_scores(gold, predicted)
    return {
        "examples": len(gold),
        "intents": len(set(gold)),
        "accuracy": sum(g == p for g, p, *_ in rows) / len(rows),
        "macro_f1": sum(f1.values()) / len(f1),
        "crisis_examples": crisis_n,
        "crisis_recall": _share(crisis_rows, lambda r: r[2]),
        "crisis_recall_lexicon": _share(crisis_rows, lambda r: r[3]),
        "crisis_category_recall": _share(crisis_rows, lambda r: r[0] == r[1]),
        "non_crisis_examples": other_n,
        "non_crisis_flagged": _share(other_rows, lambda r: r[2], empty=0.0),
        "per_intent_f1": f1,
        "errors": [
            {"text": t, "gold": g, "predicted": p}
            for t, g, p in zip(texts, gold, predicted, strict=True)
            if g != p
        ],
        "confusions": Counter(f"{g} -> {p}" for g, p, *_ in rows if g != p),
    }


def _share(rows: list[tuple], test: Any, empty: float = 1.0) -> float:
    return sum(1 for r in rows if test(r)) / len(rows) if rows else empty


def report(result: dict[str, Any], train_seconds: float | None, show_errors: bool = False) -> bool:
    ok = True

    def line(name: str, value: float, target: float, higher: bool, fmt: str = "{:.3f}") -> None:
        nonlocal ok
        good = value >= target if higher else value <= target
        ok = ok and good
        sign = ">=" if higher else "<="
        print(f"  {name:<28} {fmt.format(value):>8}   target {sign} {fmt.format(target):<8} "
              f"{'ok' if good else 'MISSED'}")

    print(f"NLU test set: {result['examples']} examples, {result['intents']} intents, "
          f"{result['crisis_examples']} crisis")
    line("intent accuracy", result["accuracy"], TARGETS["accuracy"], True)
    line("macro F1", result["macro_f1"], TARGETS["macro_f1"], True)
    line("crisis recall", result["crisis_recall"], TARGETS["crisis_recall"], True)
    print(f"  {'  (lexicon alone)':<28} {result['crisis_recall_lexicon']:>8.3f}")
    print(f"  {'  (exact crisis category)':<28} {result['crisis_category_recall']:>8.3f}")
    line("non-crisis flagged as crisis", result["non_crisis_flagged"],
         TARGETS["non_crisis_flagged"], False)
    if train_seconds is not None:
        line("training time (s)", train_seconds, TARGETS["train_seconds"], False, "{:.0f}")
    else:
        print("  training time                not measured (use --train or --train-seconds)")
    weakest = sorted(result["per_intent_f1"].items(), key=lambda kv: kv[1])[:8]
    print("weakest intents (F1): " + ", ".join(f"{k} {v:.2f}" for k, v in weakest))
    print(f"misclassified: {len(result['errors'])}")
    if show_errors and result["errors"]:
        for e in result["errors"]:
            print(f"  {e['gold']:<28} -> {e['predicted']:<28} {e['text']!r}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a trained model (.tar.gz)")
    parser.add_argument("--train", action="store_true", help="train a model first and time it")
    parser.add_argument("--train-seconds", type=float, help="training time measured elsewhere")
    parser.add_argument(
        "--test-set",
        type=Path,
        action="append",
        help="a Rasa NLU YAML file (repeatable); default: each file in tests/nlu, then all",
    )
    parser.add_argument("--blind", type=Path, help="a blind set (cases: text, category)")
    parser.add_argument("--log", metavar="NAME", help="with --blind: append to the first-sight log")
    parser.add_argument("--note", default="", help="a note for the log row")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--errors", action="store_true", help="list every misclassified example")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")  # Rasa 3.6 and its pins warn a lot on import
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))

    train_seconds = args.train_seconds
    model = args.model
    if args.train:
        out = Path(tempfile.mkdtemp(prefix="tandem-nlu-eval-"))
        model, train_seconds = train(out)
        print(f"trained {model} in {train_seconds:.0f} s")
    if model is None:
        models = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if not models:
            parser.error("no model: give --model or --train")
        model = models[-1]
    print(f"model: {model}")

    if args.blind:
        examples = load_blind_set(args.blind)
        parsed = asyncio.run(predict(model, [t for t, _ in examples]))
        predicted = blind_predictions(parsed)
        result = evaluate(
            examples, [{"intent": {"name": p}} for p in predicted]
        )
        fallback = sum(p == "nlu_fallback" for p in predicted) / len(predicted)
        print(f"\n== {args.blind.name} (blind): fallback rate {fallback:.3f}")
        report(result, train_seconds, show_errors=args.errors)
        if args.log:
            append_first_sight(args.log, result, fallback, args.note)
            print(f"appended to {FIRST_SIGHT_LOG.relative_to(REPO)}")
        return 0

    test_sets = args.test_set or sorted(TEST_SET_DIR.glob("*.yml"))
    by_set = {path: load_examples(path) for path in test_sets}
    everything = [example for examples in by_set.values() for example in examples]
    parsed = asyncio.run(predict(model, [t for t, _ in everything]))
    ok = True
    dump: dict[str, Any] = {"model": str(model), "train_seconds": train_seconds, "sets": {}}
    start = 0
    runs = list(by_set.items())
    if len(runs) > 1:
        runs.append((Path("all of the above"), everything))
    for path, examples in runs:
        if path.name == "all of the above":
            result = evaluate(everything, parsed)
        else:
            result = evaluate(examples, parsed[start : start + len(examples)])
            start += len(examples)
        print(f"\n== {path.name}")
        ok = report(result, train_seconds, show_errors=args.errors) and ok
        dump["sets"][path.name] = {k: v for k, v in result.items() if k != "confusions"}
    if args.json:
        args.json.write_text(json.dumps(dump, indent=2), encoding="utf-8")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())

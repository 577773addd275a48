"""Training time: the Rasa model from scratch, then again after a one-line change to the NLU
data, both in a scratch copy of the bot's inputs (config, domain, data, the custom components)
with its own empty Rasa cache, so neither run borrows from ``make train``'s.

    PYTHONPATH=. .venv/bin/python bench/training.py [--save]

The second run is what a program manager waits for after adding one example: Rasa's
fingerprints let it reuse every component the change did not touch. Prints both times, their
ratio, and the issue's target (training <= 5 minutes on this machine); ``--save`` writes
bench/results/training.md. The machine's load is printed too: other work slows both runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RASA = REPO / ".venv-bot" / "bin" / "rasa"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.saved import commit, save  # noqa: E402

# What `rasa train` reads, and the packages its custom components import from.
INPUTS = ("config.yml", "domain.yml", "data", "bot", "safety", "sms_text", "actions")
TARGET_SECONDS = 5 * 60
# One new example under an intent that exists (what a program manager adds most often).
ONE_LINE = (
    "data/nlu/conversation.yml",
    "- intent: thanks\n  examples: |\n",
    "    - thx a million\n",
)


def train(workdir: Path) -> float:
    """Seconds for one `rasa train` in ``workdir`` (its own .rasa cache and models/)."""
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    started = time.perf_counter()
    subprocess.run(
        [str(RASA), "train", "--out", "models", "--fixed-model-name", "bench"],
        cwd=workdir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def scratch_copy(into: Path) -> None:
    for name in INPUTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)


def add_one_line(workdir: Path) -> None:
    path, block, line = ONE_LINE
    file = workdir / path
    text = file.read_text(encoding="utf-8")
    if block not in text:
        raise SystemExit(f"{path} has no {block!r} to add a line to")
    file.write_text(text.replace(block, block + line, 1), encoding="utf-8")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} {five:.2f} (1, 5 min), {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", action="store_true", help="write bench/results/training.md")
    args = parser.parse_args()
    at_commit = commit()
    lines = [f"load before: {load()}"]
    with tempfile.TemporaryDirectory(prefix="tandem-train-") as tmp:
        workdir = Path(tmp)
        scratch_copy(workdir)
        scratch = train(workdir)
        add_one_line(workdir)
        again = train(workdir)
    verdict = "met" if scratch <= TARGET_SECONDS else "MISSED"
    lines += [
        f"from scratch                {scratch:7.1f} s  [target <= {TARGET_SECONDS} s: {verdict}]",
        f"after a one-line NLU change {again:7.1f} s  ({again / scratch:.2f}x of from scratch)",
        f"load after: {load()}",
    ]
    print("\n".join(lines))
    if args.save:
        save("training.md", "training.py", sys.argv[1:], "\n".join(lines), at_commit)
    return 0


if __name__ == "__main__":
    sys.exit(main())

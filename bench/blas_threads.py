"""CPU time of the crisis judgement per text with OpenBLAS on one thread (what services/stack.py
gives each process of the stack) against OpenBLAS's default (one thread per core), each in a
process of its own on the same texts: the thread count is read when numpy loads.

    PYTHONPATH=. .venv/bin/python bench/blas_threads.py [--texts 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from services.stack import PROCESS_DEFAULTS

TEXTS = (
    "i need a ride to my appt tmrw",
    "thanks so much",
    "is there a food pantry open tomorrow",
    "i cant do this anymore",
    "01105",
    "mi bebé no para de llorar y estoy sola",
)


def measure(count: int) -> dict[str, float]:
    """Run in the child: CPU (all threads) and wall ms per judgement."""
    from safety.judge import SafetyJudge

    judge = SafetyJudge.load()
    for text in TEXTS:
        judge.judge(text)  # loads and warms everything
    texts = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(count)]  # new texts: no cache
    cpu, wall = time.process_time(), time.perf_counter()
    for text in texts:
        judge.judge(text)
    return {
        "cpu_ms": 1000 * (time.process_time() - cpu) / count,
        "wall_ms": 1000 * (time.perf_counter() - wall) / count,
    }


def child(threads: str | None, count: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = threads
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(count)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    stack = PROCESS_DEFAULTS["OPENBLAS_NUM_THREADS"]
    runs: dict[str, list[dict[str, float]]] = {"default": [], "stack": []}
    for _ in range(args.rounds):  # interleaved, so a busy moment hits both
        runs["default"].append(child(None, args.texts))
        runs["stack"].append(child(stack, args.texts))
    mean = {
        name: {k: sum(r[k] for r in rs) / len(rs) for k in ("cpu_ms", "wall_ms")}
        for name, rs in runs.items()
    }
    for name, label in (("default", "OpenBLAS default"), ("stack", f"{stack} thread (stack)")):
        m = mean[name]
        print(f"{label:<22} CPU {m['cpu_ms']:5.2f} ms, wall {m['wall_ms']:5.2f} ms per judgement")
    ratio = mean["stack"]["cpu_ms"] / mean["default"]["cpu_ms"]
    wall = mean["stack"]["wall_ms"] / mean["default"]["wall_ms"]
    print(f"stack/default: CPU {ratio:.2f}x, wall {wall:.2f}x ({args.texts} texts x {args.rounds})")


if __name__ == "__main__":
    main()

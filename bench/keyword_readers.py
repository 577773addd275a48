"""CPU time of the gateway's opt-out classification (services/gateway/keywords.py) per text of
bench/turns.py's conversation, each text new to the embedding cache, as her texts are.

    PYTHONPATH=. .venv/bin/python bench/keyword_readers.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import time

from bench.turns import CONVERSATION
from safety import embedding
from services.gateway.keywords import load_keywords


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    keywords = load_keywords()
    embedding.warm_up()
    total = 0.0
    for _ in range(rounds):
        for text in CONVERSATION:
            embedding.clear()
            start = time.process_time()
            keywords.classify(text, opted_out=False)
            total += time.process_time() - start
    print(f"classify: {1000 * total / (rounds * len(CONVERSATION)):.2f} ms CPU per text")


if __name__ == "__main__":
    main()

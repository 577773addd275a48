"""The loaded model kept out of Python's garbage collector's way.

A Rasa process holds about 750 MB once its model is loaded (the featurizers' vocabularies,
the readers' weights, TensorFlow's objects), and every full collection walks all of it again.
In half of the benchmark runs before this, one turn after a busy round took 290-370 ms where
the others took under 100 (bench/results/turn_profile.md, cut 10). The model never becomes
garbage, so once it is loaded the objects alive then are moved out of the collector's
generations (`gc.freeze`); what turns create is collected as before. A model swapped in
through Rasa's API would leave the old one frozen in memory: Tandem loads a new model by
restarting the process (`tandem run`, the systemd units).

bot/rasa_server.py installs it before Rasa starts.
"""

from __future__ import annotations

import gc
from typing import Any

from rasa.core import run

_rasa_load = run.load_agent_on_start


async def load_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """rasa.core.run.load_agent_on_start, then the heap it built frozen."""
    agent = await _rasa_load(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return agent


def install() -> None:
    run.load_agent_on_start = load_then_freeze

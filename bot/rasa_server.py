"""`rasa run`, with the API token taken from the environment instead of the command line.

Rasa 3.6 reads its HTTP API token only from `--auth-token` (rasa/cli/arguments/run.py), and a
process's command line is visible to every local user (`ps`, /proc/<pid>/cmdline). The token
reads and writes every conversation and can replace the model. So this launcher is exec'd
without it and hands Rasa's own entry point (rasa.__main__.main, what the `rasa` script runs)
an in-process argv with the token from $RASA_TOKEN; /proc shows only what was exec'd.

It also installs bot/action_answers.py (the check of each action server answer, with its
schema checked once instead of on every call), bot/action_calls.py (connections to the action
server kept, and only the domain it reads sent), bot/event_types.py (an event's class by its
type name, looked up once) and bot/past_states.py (her past states worked out once for each
length of her history).

Run as `python -m bot.rasa_server -m <model> --enable-api ...` (services/stack.py does).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

TOKEN_ENV = "RASA_TOKEN"
MIN_TOKEN_CHARS = 16


def rasa_argv(args: Sequence[str], token: str) -> list[str]:
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit(f"pass the token in ${TOKEN_ENV}, not on the command line")
    # One argument, so a token that starts with "-" is not taken for an option.
    return ["rasa", "run", *args, f"--auth-token={token}"]


def main(args: Sequence[str] | None = None) -> None:
    token = os.environ.get(TOKEN_ENV, "")
    if len(token) < MIN_TOKEN_CHARS:
        raise SystemExit(
            f"{TOKEN_ENV} must be set ({MIN_TOKEN_CHARS}+ characters): run `tandem init-local` "
            "(development) or set it in the environment"
        )
    sys.argv = rasa_argv(sys.argv[1:] if args is None else args, token)
    from rasa.__main__ import main as rasa_main

    from bot import action_answers, action_calls, event_types, frozen_heap, past_states

    action_answers.install()  # the action server's answers checked without re-checking a schema
    action_calls.install()  # kept connections, and the domain's slots and forms only
    event_types.install()  # an event's class found once per type name, not per event
    past_states.install()  # the rules' states of her session, once per history
    frozen_heap.install()  # the loaded model out of the garbage collector's full passes

    rasa_main()


if __name__ == "__main__":
    main()

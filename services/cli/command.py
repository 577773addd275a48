"""What every `tandem` subcommand is: a function of the parsed arguments to an exit status."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Command = Callable[[argparse.Namespace], int]

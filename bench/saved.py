"""One home for ``--save``: a benchmark's output written to ``bench/results/<name>`` with the
date, the commit it ran on and the command that printed it (the closing notes cite these)."""

from __future__ import annotations

import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def commit() -> str:
    """The short commit of the tree (read before a run: one made while it runs was not measured)."""
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()


def save(name: str, script: str, argv: list[str], output: str, at_commit: str) -> Path:
    """Write ``output`` of ``bench/<script>`` run with ``argv`` to ``bench/results/<name>``."""
    path = REPO / "bench" / "results" / name
    command = f"PYTHONPATH=. .venv/bin/python bench/{script} {shlex.join(argv)}".rstrip()
    body = output if output.endswith("\n") else output + "\n"
    path.write_text(
        f"# bench/{script}\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {at_commit}\n\n"
        f"    {command}\n\n```\n{body}```\n",
        encoding="utf-8",
    )
    return path

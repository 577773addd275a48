"""The per-IP limit on wrong logins: at most `count` failures in a sliding window of `seconds`
from one address, in this process (the per-account lockout, in the database, holds across
processes)."""

from __future__ import annotations

import time
from collections import deque


class LoginLimiter:
    def __init__(self, count: int, seconds: float, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.count, self.seconds, self.clock = count, seconds, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        cutoff = self.clock() - self.seconds
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.count

    def fail(self, key: str) -> None:
        failures = self._recent(key)
        failures.append(self.clock())
        self._failures[key] = failures
        if len(self._failures) > 100_000:  # a flood of addresses: forget the oldest
            self._failures.pop(next(iter(self._failures)))

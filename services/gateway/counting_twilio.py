"""An in-process stand-in for twilio's REST client that accepts and counts every message:
for the check-in benchmark and for tests that run dispatchers without an HTTP fake (two
PostgreSQL dispatchers, 100,000 sends). `OutboundSender(twilio_client_factory=...)` takes it."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace


@dataclass
class CountingTwilio:
    sent: Counter[tuple[str, str]] = field(default_factory=Counter)  # (to, body) -> times
    http_client: None = None  # nothing to close (LazyTwilio looks for one)
    _sids: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.messages = SimpleNamespace(create_async=self._create)

    async def _create(self, *, to: str, body: str, **_: str) -> SimpleNamespace:
        self.sent[(to, body)] += 1
        return SimpleNamespace(sid=f"SM{next(self._sids):032x}", status="queued")

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    @property
    def duplicates(self) -> int:
        """Messages beyond the first of the same text to the same phone."""
        return sum(n - 1 for n in self.sent.values() if n > 1)

"""A logger that says a repeated problem once per interval, with how often it happened since.

During a broker outage every retry fails; logging each failure buried the one useful line
("waiting for the broker at host:port") under hundreds per second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RateLimitedLog:
    """`warn(key, message)` logs at most once per `interval_s` per key, counting the rest."""

    def __init__(
        self,
        log: logging.Logger,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.interval_s = interval_s
        self.clock = clock
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warn(self, key: str, message: str, *args: object) -> bool:
        """Log now if this key has been quiet for `interval_s`; return whether it logged."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        self._last[key] = now
        repeats = self._suppressed.pop(key, 0)
        suffix = f" ({repeats} more like this since)" if repeats else ""
        self.log.warning(message + suffix, *args)
        return True

    def clear(self, key: str, message: str | None = None, *args: object) -> None:
        """The problem is over: forget it, and say so if it had been reported."""
        if self._last.pop(key, None) is not None and message:
            self.log.warning(message, *args)
        self._suppressed.pop(key, None)

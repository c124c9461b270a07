"""Logging for services: one JSON object per line, errors rate-limited, and no DEBUG root logger.

faust's `Worker` sets the root logger to DEBUG when its terminal spinner is on (the default), so
every `log.debug` in aiokafka and faust builds a record that is then dropped: ~8% of the worker's
CPU. guardstream configures the root logger itself, at the configured level, before faust starts.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

# LogRecord attributes that are not the caller's `extra=` fields.
_STANDARD = frozenset(
    set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", ...extra fields, "exc"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RateLimit(logging.Filter):
    """Pass at most `burst` records of WARNING or above per (logger, message template) in each
    `period_s`; the first record after a quiet spell says how many were suppressed. A broker
    outage logs a few lines, not one per event."""

    def __init__(
        self, burst: int = 5, period_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.burst, self.period_s, self.clock = burst, period_s, clock
        self._windows: dict[tuple[str, str], list[float]] = {}  # key -> [start, passed, dropped]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        now = self.clock()
        key = (record.name, str(record.msg))
        window = self._windows.get(key)
        if window is None or now - window[0] >= self.period_s:
            if window is not None and window[2]:
                record.suppressed = int(window[2])
            self._windows[key] = [now, 1, 0]
            return True
        if window[1] < self.burst:
            window[1] += 1
            return True
        window[2] += 1
        return False


def configure_logging(
    level: str = "warning",
    fmt: str = "json",
    errors_per_minute: int = 5,
    stream: TextIO | None = None,
) -> None:
    """Root logger at `level` with one handler (JSON or plain text); quiet chatty libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RateLimit(burst=errors_per_minute, period_s=60.0))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())

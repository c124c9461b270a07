"""Running a faust app as a service: our logging, no terminal spinner, one BLAS thread, a short
GIL switch interval.

faust's `Worker` turns the root logger to DEBUG whenever its spinner is on (it always is unless
the level is below WARN), which makes every library `log.debug` call build a record; it also
redirects stdout into the logger. A service needs neither.
"""

from __future__ import annotations

import sys

import faust

from guardstream.streams.logs import configure_logging
from guardstream.streams.settings import Settings, WorkerSettings


class ServiceWorker(faust.Worker):
    """faust's Worker with guardstream's logging set up instead of faust's."""

    def __init__(self, app: faust.App, settings: Settings) -> None:
        super().__init__(
            app, loglevel=settings.worker.log_level, quiet=True, redirect_stdouts=False
        )
        self.spinner = None
        self._guardstream_settings = settings

    def _setup_logging(self) -> None:
        s = self._guardstream_settings
        configure_logging(s.worker.log_level, s.logs.format, s.logs.errors_per_minute)


def shorten_gil_switch_interval(worker: WorkerSettings) -> None:
    """`worker.gil_switch_interval_ms`: the event loop trades the GIL with faust's consumer
    thread, the scoring and drift threads (and the state thread under the throughput profile)
    many times per batch, and at Python's 5 ms each trade could stall a batch for that long."""
    sys.setswitchinterval(worker.gil_switch_interval_ms / 1000)


def limit_native_threads() -> None:
    """One BLAS/OpenMP thread per process: scale-out is more processes (one consumer group),
    and a multi-threaded BLAS on small matrices only burns the other core."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)

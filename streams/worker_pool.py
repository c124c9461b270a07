"""`guardstream worker --processes N`: N worker processes on one host, in one consumer group.

Scale-out is Kafka's: each process is an ordinary member of the group and gets its share of the
events topic's partitions, so scoring runs on N cores with no GIL between them and nothing new
to operate. The parent only starts, watches and stops the children; it loads no models.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from guardstream.streams.settings import Settings

log = logging.getLogger(__name__)

MIN_UPTIME_S = 10.0  # a child that dies sooner is broken, not unlucky: stop instead of looping


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if the pool's parent dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def process_count(settings: Settings, requested: int | None = None) -> int:
    """Explicit (CLI, then [worker] processes) or one per usable core; never more than the
    events topic has partitions, since an extra member would sit idle."""
    wanted = requested or settings.worker.processes or usable_cpus()
    return max(1, min(wanted, settings.topics.partitions))


def for_process(settings: Settings, index: int) -> Settings:
    """Child `index`'s settings: its own web port, metrics port and state directory."""
    worker = settings.worker
    updates = {
        "processes": 1,
        "data_dir": worker.data_dir / f"process-{index}",
        "web_port": worker.web_port + index if worker.web_port else 0,
    }
    metrics = settings.metrics
    port = metrics.port + index if metrics.port else 0
    return settings.model_copy(
        update={
            "worker": worker.model_copy(update=updates),
            "metrics": metrics.model_copy(update={"port": port}),
        }
    )


class WorkerPool:
    """Start `count` children running `guardstream worker --process-index i`, restart one that
    crashes after running a while, and pass SIGTERM/SIGINT on to all of them."""

    def __init__(self, count: int, argv: list[str]) -> None:
        self.count, self.argv = count, argv
        self.children: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
        self.stopping = False

    def _spawn(self, index: int) -> None:
        command = [sys.executable, "-m", "guardstream.streams.cli", "worker", *self.argv]
        child = subprocess.Popen(
            [*command, "--process-index", str(index)],
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.children[index] = (child, time.monotonic())
        log.warning("worker process %d started (pid %d)", index, child.pid)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        for child, _ in self.children.values():
            if child.poll() is None:
                child.send_signal(signum)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for index in range(self.count):
            self._spawn(index)
        status = 0
        while self.children:
            time.sleep(0.2)
            for index, (child, started) in list(self.children.items()):
                code = child.poll()
                if code is None:
                    continue
                del self.children[index]
                if self.stopping:
                    continue
                if time.monotonic() - started < MIN_UPTIME_S:
                    log.error("worker process %d exited with %d at start; stopping", index, code)
                    status = code or 1
                    self._stop(signal.SIGTERM, None)
                    continue
                log.error("worker process %d exited with %d; restarting it", index, code)
                self._spawn(index)
        return status

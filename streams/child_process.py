"""A child process the demo, the tests and the CLI start and must always stop again: the
lifecycle the embedded broker and the worker subprocess share."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self


class ChildProcess:
    """Output goes to `log_path` (appended) or nowhere; `stop` asks politely (SIGTERM), waits
    `stop_timeout_s`, then kills. Subclasses say how to `start`; use as a context manager so
    the child never outlives its owner."""

    stop_timeout_s: float = 15.0

    def __init__(self, log_path: Path | None = None) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def _launch(self, command: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        """Start `command`; the child keeps its own copy of the log file descriptor."""
        if self.log_path is None:
            self.process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
            return
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, timeout_s: float | None = None) -> None:
        """SIGTERM and wait (a worker commits and leaves its group cleanly), then SIGKILL."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=self.stop_timeout_s if timeout_s is None else timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the crash case, no clean shutdown."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""Run `guardstream worker` as a child process (demo and tests): the real entry point, killable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType


class WorkerProcess:
    """A worker subprocess configured through GUARDSTREAM_* environment variables."""

    def __init__(self, env: dict[str, str], log_path: Path | None = None) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        command = [sys.executable, "-m", "guardstream.streams.cli", "worker"]
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        """SIGKILL: the crash case, no clean shutdown, no final commit."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM and wait; faust commits and leaves the group cleanly."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def peak_rss_mb(self) -> float | None:
        """The worker's peak resident memory (Linux /proc), for the demo's summary."""
        if self.process is None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


LOCAL_MAX_EVENT_BYTES = 262_144


def worker_env(bootstrap: str, data_dir: Path, group_id: str = "guardstream") -> dict[str, str]:
    """Settings for a worker on the embedded broker: short session timeout, Tansu joins slowly;
    a 256 KiB event limit, so an oversized test event still fits Kafka's 1 MiB request limit."""
    return {
        "GUARDSTREAM_WORKER__MAX_EVENT_BYTES": str(LOCAL_MAX_EVENT_BYTES),
        "GUARDSTREAM_BOOTSTRAP": bootstrap,
        "GUARDSTREAM_WORKER__GROUP_ID": group_id,
        "GUARDSTREAM_WORKER__DATA_DIR": str(data_dir),
        "GUARDSTREAM_WORKER__SESSION_TIMEOUT_S": "3",
        "GUARDSTREAM_WORKER__HEARTBEAT_INTERVAL_S": "0.5",
        "GUARDSTREAM_WORKER__WEB_PORT": "0",
    }

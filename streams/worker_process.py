"""Run `guardstream worker` as a child process (demo and tests): the real entry point, killable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from guardstream.streams.child_process import ChildProcess


class WorkerProcess(ChildProcess):
    """A worker subprocess configured through GUARDSTREAM_* environment variables."""

    def __init__(self, env: dict[str, str], log_path: Path | None = None) -> None:
        super().__init__(log_path)
        self.env = {**os.environ, **env}

    def start(self) -> WorkerProcess:
        self._launch([sys.executable, "-m", "guardstream.streams.cli", "worker"], self.env)
        return self

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
        "GUARDSTREAM_WORKER__PROCESSES": "1",
        "GUARDSTREAM_METRICS__PORT": "0",  # a free port: several local workers never collide
    }

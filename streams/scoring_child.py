"""The scoring subprocess's side: load the pipeline once, then score batch after batch.

It runs in a separate process so that the worker can really stop a computation that overruns
its budget (kill the process) — a thread stuck inside a regex or a C extension can be neither
interrupted nor joined, and it kept SIGTERM from stopping the worker for 15 s.
"""

from __future__ import annotations

import contextlib
import pickle
import signal
from multiprocessing.connection import Connection
from typing import Any

from guardstream.detectors.pipeline import failure_summary
from guardstream.keyed_hash import set_key
from guardstream.streams.delivery import records_of
from guardstream.streams.heap import freeze_startup_heap
from guardstream.streams.processing import process_batch

READY = "ready"


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the worker dies, even by `kill -9` (best effort elsewhere)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def child_main(
    conn: Connection,
    pipeline_bytes: bytes,
    key: bytes,
    max_bytes: int,
    topics: tuple[str, str, str] | None,
) -> None:
    """Serve ("score", snapshot, messages) requests until the pipe closes. With `topics`
    None the outputs come back unencoded (the parent encodes them after the behaviour stage)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when we stop
    pipeline = pickle.loads(pipeline_bytes)
    freeze_startup_heap()
    set_key(key)
    conn.send(READY)
    while True:
        try:
            snapshot, messages = conn.recv()
        except (EOFError, OSError):
            return
        if snapshot is not None:
            pipeline.threshold_state.replace_snapshot(snapshot)
        reply: Any
        try:
            output = process_batch(messages, pipeline, max_bytes)
            reply = ("ok", (output, records_of(output, *topics) if topics else []))
        except Exception as exc:  # process_batch should never raise; if it does, say how
            reply = ("error", failure_summary(exc))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return

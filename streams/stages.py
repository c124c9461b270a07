"""Where a CPU stage of the worker's parent runs: on the event loop or in a thread of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def stage_runner(on_loop: bool, thread_name: str) -> Callable[..., Awaitable[Any]]:
    """How a CPU stage of the worker's parent runs: in a thread of its own, overlapping the event
    loop's delivery and publishing (throughput), or on the loop itself (latency). Both hold the
    GIL, so the thread gains only overlap with I/O; it pays a GIL hand-off with the loop, and a
    wait of up to a switch interval, every time either side releases it."""
    if on_loop:

        async def inline(fn: Callable[..., Any], *args: Any) -> Any:
            return fn(*args)

        return inline
    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)

    async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(thread, fn, *args)

    return in_thread

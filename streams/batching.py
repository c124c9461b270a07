"""Batches for the scorer: whatever is buffered when it is free, not a fixed window.

faust's `take_events(n, within)` holds the first event of a batch until `n` arrived or the
window ran out, so at moderate load every event waits most of the window. `ready_batches` hands
over everything already buffered as soon as the consumer has nothing more to give (latency
profile), or fills up to the window (throughput profile). Under load the buffer fills while the
previous batch is scored, so batches grow by themselves. It reads the agent's channel queue
directly, which also skips faust's per-event stream processors; the caller acks each event
(`stream.ack`) once its outputs are safe, as with `take_events`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from faust.types import TP

from guardstream.streams.ops_settings import Profile


async def ready_batches(
    stream: Any, profile: Profile, watch: Callable[[Any], None] | None = None
) -> AsyncIterator[list[Any]]:
    """Yield lists of faust events from `stream`'s channel, at most `profile.batch_size`;
    `watch` is handed the queue (the metrics report its depth)."""
    queue = aiter(stream.channel).queue
    if watch is not None:
        watch(queue)
    loop = asyncio.get_running_loop()
    size, window = profile.batch_size, profile.batch_window_s
    while not stream.should_stop:
        try:
            batch = [await queue.get()]
        except StopAsyncIteration:  # faust stops a channel by throwing this into its queue
            return
        deadline = loop.time() + window
        while len(batch) < size:
            if not queue.empty():
                batch.append(queue.get_nowait())
                continue
            if profile.flush_when_idle:
                await asyncio.sleep(0)  # let the consumer hand over a fetch it already holds
                if queue.empty():
                    break
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except TimeoutError:
                break
        yield batch


async def commit_offsets(consumer: Any, offsets: Mapping[tuple[str, int], int]) -> bool:
    """Commit each (topic, partition)'s next offset through faust's consumer, as a batch's
    caller does once its outputs are safe (faust's timer never commits these topics)."""
    return bool(await consumer._commit({TP(t, p): o for (t, p), o in offsets.items()}))

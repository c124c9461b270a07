"""Behaviour state on faust tables with changelogs, and the by-user repartition topic.

One table per state namespace (`guardstream.behaviour.flooding`, ..., `guardstream.alerts`),
each with a changelog topic co-partitioned with the events topic. The scoring thread reads the
tables and buffers its writes; `flush` (on the event loop, before the batch's outputs are
published) writes them into the tables and their changelogs, each key to the partition of the
event that changed it, and waits for the broker's acks. A restarted or new owner of a partition
recovers that partition's keys from the changelog before it scores anything.

Per-user state needs every event of a user on one partition. Publishers key events by user id;
an event whose Kafka key is not its user id is forwarded once to `<events>.by-user`, keyed by
user id (a group_by, for just the events that need it), and scored when it arrives there. Both
topics have the same partition count and the same (murmur2) partitioner, so a user's events reach
the same partition number of either, owned by the same worker.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust

from guardstream.detectors.alerts import NAMESPACE as ALERTS_NAMESPACE
from guardstream.detectors.pipeline import Pipeline
from guardstream.streams.agent_loop import Scored, Scorer
from guardstream.streams.delivery import records_of
from guardstream.streams.processing import BatchOutput, RawMessage, apply_state
from guardstream.streams.settings import Settings

TABLE_PREFIX = "guardstream."


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class TableState:
    """`StateStore` over faust tables: thread-safe reads, buffered writes, `flush` on the loop."""

    def __init__(self, tables: dict[str, faust.Table]) -> None:
        self.tables = tables
        self.shard = 0
        self._pending: dict[tuple[str, str], tuple[Any, int]] = {}

    def get(self, namespace: str, key: str) -> Any | None:
        pending = self._pending.get((namespace, key))
        if pending is not None:
            return pending[0]
        return self.tables[namespace].data.get(key)

    def put(self, namespace: str, key: str, value: Any) -> None:
        self._pending[(namespace, key)] = (value, self.shard)

    def delete(self, namespace: str, key: str) -> None:
        self._pending[(namespace, key)] = (None, self.shard)

    async def flush(self) -> int:
        """Apply buffered writes to the tables and changelogs; return once all are acked."""
        pending, self._pending = self._pending, {}
        sent = []
        for (namespace, key), (value, shard) in pending.items():
            table = self.tables[namespace]
            store = table.data
            if value is None:
                store.pop(key, None)
            else:
                store[key] = value
            partitions = getattr(store, "_key_partition", None)  # memory store: drop on revoke
            if isinstance(partitions, dict):
                partitions[key] = shard
            sent.append(
                await table.changelog_topic.send(
                    key=_dumps(key),
                    value=_dumps(value),  # JSON null, not a tombstone: Tansu returns b"" for one
                    partition=shard,
                    key_serializer="raw",
                    value_serializer="raw",
                    force=True,
                )
            )
        if sent:
            await asyncio.gather(*sent)
        return len(pending)

    def size_bytes(self) -> dict[str, int]:
        """JSON bytes per namespace held locally (what the changelogs carry, latest per key)."""
        return {
            name: sum(len(_dumps(k)) + len(_dumps(v)) for k, v in table.data.items())
            for name, table in self.tables.items()
        }


class BehaviourTables:
    """The worker's state: tables for every namespace the pipeline writes, and the topics the
    agent reads (events plus the by-user repartition topic)."""

    def __init__(self, app: faust.App, settings: Settings, pipeline: Pipeline) -> None:
        partitions = settings.topics.partitions
        namespaces: Iterable[str] = [*pipeline.behaviour.namespaces, ALERTS_NAMESPACE]
        self.store = TableState(
            {
                ns: app.Table(
                    f"{TABLE_PREFIX}{ns}",
                    partitions=partitions,
                    key_type=str,  # keys and values are JSON on the changelog
                )
                for ns in namespaces
            }
        )
        self.rekey_topic = settings.rekey_topic

    def stateful(self, score: Scorer, pipeline: Pipeline, outputs: tuple[str, str, str]) -> Scorer:
        """Wrap a stateless scorer: behaviour scores and suppression on its output (in a
        thread that reads the tables), re-encoded, state flushed and acked before returning."""
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardstream-state")
        store, rekey = self.store, self.rekey_topic

        def stateful_half(messages: list[RawMessage], output: BatchOutput) -> Scored:
            apply_state(messages, output, pipeline, store, rekey)
            return output, records_of(output, *outputs)

        async def run(messages: list[RawMessage]) -> Scored:
            output, _ = await score(messages)
            loop = asyncio.get_running_loop()
            scored = await loop.run_in_executor(thread, stateful_half, messages, output)
            await store.flush()  # state changelogs acked before the batch's outputs go out
            return scored

        return run

    def source_topics(self, events_topic: str) -> list[str]:
        return [events_topic, self.rekey_topic] if self.rekey_topic else [events_topic]


def attach_state(app: faust.App, settings: Settings, pipeline: Pipeline) -> BehaviourTables:
    """Create the behaviour tables on `app` (call once, from `create_app`)."""
    return BehaviourTables(app, settings, pipeline)

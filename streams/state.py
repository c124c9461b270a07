"""Behaviour state in a faust table with a changelog, and the by-user repartition topic.

One table, `guardstream.state`, for every state namespace (`behaviour.flooding`, ...,
`alerts`): a row per key holds `{namespace: value}`, and its changelog topic is co-partitioned
with the events topic. The stateful half (on the event loop or a state thread, by profile:
`stage_runner`) reads the table, buffers its writes and encodes their changelog records
(`take`), each row on the partition of the event that changed it; `apply`, on the event loop,
writes them into the table.
The records are published with the batch's outputs, so the broker has acknowledged them before
the batch's offsets are committed. A restarted or new owner of a partition recovers that
partition's keys from the changelog before it scores anything.

Per-user state needs every event of a user on one partition. Publishers key events by user id;
an event whose Kafka key is not its user id is forwarded once to `<events>.by-user`, keyed by
user id (a group_by, for just the events that need it), and scored when it arrives there. Both
topics have the same partition count and the same (murmur2) partitioner, so a user's events reach
the same partition number of either, owned by the same worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
import orjson

from guardstream.detectors.pipeline import Pipeline
from guardstream.streams.agent_loop import Finisher, Scored
from guardstream.streams.delivery import OutRecord, records_of
from guardstream.streams.processing import BatchOutput, RawMessage, apply_state
from guardstream.streams.settings import Settings
from guardstream.streams.stages import stage_runner

STATE_TABLE = "guardstream.state"


def _dumps(value: Any) -> bytes:
    """Compact JSON, as `json.dumps(value, separators=(",", ":"))` writes it (byte for byte on
    the bench mix's state) but ~3x faster: the stateful half encodes every changed key of every
    batch, and small streaming batches change nearly every key they touch. orjson writes a
    non-finite float as null where json writes NaN; no behaviour state holds one."""
    return orjson.dumps(value)


@dataclass(frozen=True)
class Change:
    """One buffered row write (every namespace of one key) and its encoded changelog record."""

    key: str
    value: dict[str, Any] | None  # None: no namespace holds this key any more
    shard: int
    record: OutRecord


class TableState:
    """`StateStore` over one faust table: thread-safe reads, buffered writes, `apply` on the loop.

    A row holds every namespace's value for one key (`{namespace: value}`): a user's flooding,
    token-burn, repeated-attack and retry state change together on most events, and in small
    streaming batches a key is seldom written twice per batch, so one row per key is one
    changelog record where one table per namespace gave four (bench mix, 20-event batches:
    3.95 -> 1.51 records per event, `docs/wave2/issue-13.md`)."""

    def __init__(self, table: faust.Table) -> None:
        self.table = table
        self.shard = 0
        self.changelog = table.changelog_topic.get_topic_name()
        self._writes: dict[str, dict[str, Any]] = {}  # key -> namespace -> value (None: delete)
        self._shards: dict[str, int] = {}  # key -> partition of the event that last wrote it

    def get(self, namespace: str, key: str) -> Any | None:
        writes = self._writes.get(key)
        if writes is not None and namespace in writes:
            return writes[namespace]  # None: deleted in this batch
        row = self.table.data.get(key)
        return row.get(namespace) if row is not None else None

    def put(self, namespace: str, key: str, value: Any) -> None:
        self._writes.setdefault(key, {})[namespace] = value
        self._shards[key] = self.shard  # a key's events share a partition: the latest wins

    def delete(self, namespace: str, key: str) -> None:
        self.put(namespace, key, None)

    def take(self) -> list[Change]:
        """The buffered writes merged into their rows, with their changelog records, encoded
        here (in the stateful half, which the throughput profile runs in the state thread) so
        `apply` only stores them."""
        pending, self._writes = self._writes, {}
        shards, self._shards = self._shards, {}
        changes = []
        for key, writes in pending.items():
            shard = shards[key]
            row = dict(self.table.data.get(key) or {})
            for namespace, value in writes.items():
                if value is None:
                    row.pop(namespace, None)
                else:
                    row[namespace] = value
            value = row or None
            # JSON null, not a tombstone: Tansu returns b"" for one
            record = OutRecord(self.changelog, _dumps(key), _dumps(value), partition=shard)
            changes.append(Change(key, value, shard, record))
        return changes

    def apply(self, changes: list[Change]) -> list[OutRecord]:
        """Write taken changes into the table (on the event loop); return their changelog
        records, each on the partition of the event that made it, for the batch's publisher
        to send with the batch's outputs: acknowledged before its offsets are committed, one
        record batch per partition rather than a faust send per key."""
        store = self.table.data
        partitions = getattr(store, "_key_partition", None)  # memory store: drop on revoke
        for change in changes:
            if change.value is None:
                store.pop(change.key, None)
            else:
                store[change.key] = change.value
            if isinstance(partitions, dict):
                partitions[change.key] = change.shard
        return [change.record for change in changes]

    def size_bytes(self) -> dict[str, int]:
        """JSON bytes per namespace held locally (keys + values, latest per key)."""
        sizes: dict[str, int] = {}
        for key, row in self.table.data.items():
            for namespace, value in row.items():
                sizes[namespace] = sizes.get(namespace, 0) + len(_dumps(key)) + len(_dumps(value))
        return sizes


class BehaviourTables:
    """The worker's state: the table for every namespace the pipeline writes, and the topics
    the agent reads (events plus the by-user repartition topic)."""

    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.store = TableState(
            app.Table(
                STATE_TABLE,
                partitions=settings.topics.partitions,
                key_type=str,  # keys and values are JSON on the changelog
            )
        )
        self.rekey_topic = settings.rekey_topic

    def finisher(
        self, pipeline: Pipeline, outputs: tuple[str, str, str], on_loop: bool = False
    ) -> Finisher:
        """The stateful half of a batch (BatchLoop's finish stage, in batch order): behaviour
        scores and suppression on the scorer's output, reading the tables, re-encoded, plus
        the batch's changelog records. `on_loop`: run it on the event loop (`stage_runner`)."""
        run = stage_runner(on_loop, "guardstream-state")
        store, rekey = self.store, self.rekey_topic

        def stateful_half(
            messages: list[RawMessage], output: BatchOutput
        ) -> tuple[BatchOutput, list[OutRecord], list[Change]]:
            apply_state(messages, output, pipeline, store, rekey)
            return output, records_of(output, *outputs), store.take()

        async def finish(messages: list[RawMessage], scored: Scored) -> Scored:
            output, records, changes = await run(stateful_half, messages, scored[0])
            return output, records + store.apply(changes)  # changelogs go with the outputs

        return finish

    def source_topics(self, events_topic: str) -> list[str]:
        return [events_topic, self.rekey_topic] if self.rekey_topic else [events_topic]


def attach_state(app: faust.App, settings: Settings) -> BehaviourTables:
    """Create the behaviour table on `app` (call once, from `create_app`)."""
    return BehaviourTables(app, settings)

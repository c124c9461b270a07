"""Behaviour state on faust tables with changelogs, and the by-user repartition topic.

One table per state namespace (`guardstream.behaviour.flooding`, ..., `guardstream.alerts`),
each with a changelog topic co-partitioned with the events topic. The stateful half (on the
event loop or a state thread, by profile: `stage_runner`) reads the tables, buffers its writes
and encodes their changelog records (`take`), each key on the partition of the event that
changed it; `apply`, on the event loop, writes them into the tables.
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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import faust
import orjson

from guardstream.detectors.alerts import NAMESPACE as ALERTS_NAMESPACE
from guardstream.detectors.pipeline import Pipeline
from guardstream.streams.agent_loop import Finisher, Scored
from guardstream.streams.delivery import OutRecord, records_of
from guardstream.streams.processing import BatchOutput, RawMessage, apply_state
from guardstream.streams.settings import Settings
from guardstream.streams.stages import stage_runner

TABLE_PREFIX = "guardstream."


def _dumps(value: Any) -> bytes:
    """Compact JSON, as `json.dumps(value, separators=(",", ":"))` writes it (byte for byte on
    the bench mix's state) but ~3x faster: the stateful half encodes every changed key of every
    batch, and small streaming batches change nearly every key they touch. orjson writes a
    non-finite float as null where json writes NaN; no behaviour state holds one."""
    return orjson.dumps(value)


@dataclass(frozen=True)
class Change:
    """One buffered table write and its encoded changelog record."""

    namespace: str
    key: str
    value: Any
    shard: int
    record: OutRecord


class TableState:
    """`StateStore` over faust tables: thread-safe reads, buffered writes, `apply` on the loop."""

    def __init__(self, tables: dict[str, faust.Table]) -> None:
        self.tables = tables
        self.shard = 0
        self._pending: dict[tuple[str, str], tuple[Any, int]] = {}
        self._changelogs: dict[str, str] = {}

    def get(self, namespace: str, key: str) -> Any | None:
        pending = self._pending.get((namespace, key))
        if pending is not None:
            return pending[0]
        return self.tables[namespace].data.get(key)

    def put(self, namespace: str, key: str, value: Any) -> None:
        self._pending[(namespace, key)] = (value, self.shard)

    def delete(self, namespace: str, key: str) -> None:
        self._pending[(namespace, key)] = (None, self.shard)

    def take(self) -> list[Change]:
        """The buffered writes with their changelog records, encoded here (in the stateful half,
        which the throughput profile runs in the state thread) so `apply` only stores them."""
        pending, self._pending = self._pending, {}
        changes = []
        for (namespace, key), (value, shard) in pending.items():
            topic = self._changelogs.get(namespace) or self._changelog_of(namespace)
            # JSON null, not a tombstone: Tansu returns b"" for one
            record = OutRecord(topic, _dumps(key), _dumps(value), partition=shard)
            changes.append(Change(namespace, key, value, shard, record))
        return changes

    def apply(self, changes: list[Change]) -> list[OutRecord]:
        """Write taken changes into the tables (on the event loop); return their changelog
        records, each on the partition of the event that made it, for the batch's publisher
        to send with the batch's outputs: acknowledged before its offsets are committed, one
        record batch per partition rather than a faust send per key."""
        for change in changes:
            store = self.tables[change.namespace].data
            if change.value is None:
                store.pop(change.key, None)
            else:
                store[change.key] = change.value
            partitions = getattr(store, "_key_partition", None)  # memory store: drop on revoke
            if isinstance(partitions, dict):
                partitions[change.key] = change.shard
        return [change.record for change in changes]

    def _changelog_of(self, namespace: str) -> str:
        topic = self.tables[namespace].changelog_topic.get_topic_name()
        self._changelogs[namespace] = topic
        return topic

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


def attach_state(app: faust.App, settings: Settings, pipeline: Pipeline) -> BehaviourTables:
    """Create the behaviour tables on `app` (call once, from `create_app`)."""
    return BehaviourTables(app, settings, pipeline)

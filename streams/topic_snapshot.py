"""Read a whole topic up to its current end, without a consumer group (no join wait).

The control follower, `thresholds` commands and `thresholds fit` all need "everything so far":
assign every partition, seek to the start, read until each reaches the end offset seen at start.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from guardstream.errors import BrokerError
from guardstream.streams.settings import Settings

# Tansu answers an empty fetch only when its max wait expires: this bounds how late a change is.
FETCH_WAIT_MS = 250


def snapshot_consumer(settings: Settings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **settings.kafka_client_options(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_WAIT_MS,
    )


def in_order(batches: dict[TopicPartition, list[ConsumerRecord]]) -> list[ConsumerRecord]:
    """One getmany result as a list, partition by partition, offsets ascending."""
    return [record for tp in sorted(batches) for record in batches[tp]]


async def read_to_end(
    consumer: AIOKafkaConsumer, topic: str, timeout_s: float
) -> list[ConsumerRecord]:
    """Assign every partition of `topic` (a started consumer) and read to the current end."""
    deadline = time.monotonic() + timeout_s
    partitions = consumer.partitions_for_topic(topic)
    while not partitions:
        if time.monotonic() > deadline:
            raise BrokerError(
                f"topic {topic!r} not found; start `guardstream worker` (it creates the topics)"
            )
        await consumer.topics()  # refreshes cluster metadata
        await asyncio.sleep(0.1)
        partitions = consumer.partitions_for_topic(topic)
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    await consumer.seek_to_beginning(*assigned)
    end = await consumer.end_offsets(assigned)
    records: list[ConsumerRecord] = []
    while [tp for tp in assigned if await consumer.position(tp) < end[tp]]:
        if time.monotonic() > deadline:
            raise BrokerError(f"could not read topic {topic!r} within {timeout_s}s")
        records.extend(in_order(await consumer.getmany(timeout_ms=500)))
    return records


async def read_topic_snapshot(
    settings: Settings, topic: str, timeout_s: float = 60.0
) -> list[ConsumerRecord]:
    """Every record on `topic` now; raises BrokerError when Kafka or the topic is missing."""
    consumer = snapshot_consumer(settings)
    try:
        await asyncio.wait_for(consumer.start(), timeout_s)
    except Exception as exc:
        await consumer.stop()
        raise BrokerError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
    try:
        return await read_to_end(consumer, topic, timeout_s)
    finally:
        await consumer.stop()

"""guardstream's own producer for a batch's outputs: one record batch per partition.

`app.producer.send` per record costs a future, a partitioner call and faust's bookkeeping for
each score; here records are appended straight into aiokafka record batches (`create_batch` /
`send_batch`), so a batch of outputs costs a handful of futures. Partitions follow Kafka's
default partitioner (murmur2 of the key), as every other client. A batch is all-or-nothing at
the broker, so `BatchPublisher` retries a failed batch's records together (and alone, when the
broker says the batch was too large).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from mode import Service

from guardstream.streams.delivery import OutRecord, SentGroup
from guardstream.streams.settings import Settings

# Well under Kafka's default max.message.bytes (1 MiB) per record batch; a bigger record goes in
# a batch of its own, exactly as a plain send would.
MAX_BATCH_BYTES = 512 * 1024
PARTITIONS_TTL_S = 60.0  # pick up added partitions within a minute


class OutputProducer(Service):
    """A service of the faust app (`app.add_dependency`), so it starts before the agents and
    stops after them; `send_many` and `send` feed `BatchPublisher`."""

    def __init__(self, settings: Settings, max_request_bytes: int) -> None:
        super().__init__()
        self.options: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap_servers,
            "client_id": f"{settings.worker.group_id}-outputs",
            "acks": "all",
            "linger_ms": settings.tuning().linger_ms,
            "max_batch_size": MAX_BATCH_BYTES,
            "max_request_size": max_request_bytes,
            **settings.security.aiokafka_options(),
        }
        self.client: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, tuple[list[int], float]] = {}

    async def on_start(self) -> None:
        self.client = AIOKafkaProducer(**self.options)  # aiokafka wants a running loop
        await self.client.start()

    async def on_stop(self) -> None:
        if self.client is not None:
            await self.client.stop()

    def _client(self) -> AIOKafkaProducer:
        if self.client is None:
            raise RuntimeError("OutputProducer used before the app started")
        return self.client

    async def _partitions_of(self, topic: str) -> list[int]:
        known = self._partitions.get(topic)
        if known is None or time.monotonic() - known[1] > PARTITIONS_TTL_S:
            known = (sorted(await self._client().partitions_for(topic)), time.monotonic())
            self._partitions[topic] = known
        return known[0]

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None
    ) -> asyncio.Future[Any]:
        """One record on its own (the publisher's fallback); returns its delivery future."""
        return await self._client().send(topic, value=value, key=key, headers=headers)

    async def send_many(self, records: Sequence[OutRecord]) -> list[SentGroup]:
        """Queue every record, grouped into record batches by partition; return each batch's
        records with its delivery future, unawaited."""
        client = self._client()
        open_: dict[tuple[str, int], tuple[Any, list[OutRecord]]] = {}
        sent: list[SentGroup] = []
        known: dict[str, list[int]] = {}  # one metadata lookup per topic and call
        for r in records:
            partitions = known.get(r.topic)
            if partitions is None:  # also loads the topic's metadata, which send_batch needs
                partitions = known[r.topic] = await self._partitions_of(r.topic)
            if r.partition is not None:
                where = (r.topic, r.partition)
            else:
                where = (r.topic, self._partitioner(r.key, partitions, partitions))
            builder, members = open_.get(where) or (client.create_batch(), [])
            if builder.append(timestamp=None, key=r.key, value=r.value, headers=r.headers or []):
                members.append(r)
                open_[where] = (builder, members)
                continue
            sent.append((members, await client.send_batch(builder, where[0], partition=where[1])))
            builder = client.create_batch()  # a record always fits an empty batch
            builder.append(timestamp=None, key=r.key, value=r.value, headers=r.headers or [])
            open_[where] = (builder, [r])
        for (topic, partition), (builder, members) in open_.items():
            sent.append((members, await client.send_batch(builder, topic, partition=partition)))
        return sent

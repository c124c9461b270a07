"""Python client for guardstream's users: publish events, subscribe to alerts and scores.

Delivery is at-least-once end to end, so `AlertSubscriber` drops alert ids it has already
yielded: a redelivered alert reaches the caller once.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from guardstream.contracts import Alert, LLMEvent
from guardstream.streams.settings import Settings


class _KafkaClient:
    """`async with` starts and stops the wrapped aiokafka client."""

    _client: AIOKafkaProducer | AIOKafkaConsumer

    async def __aenter__(self) -> Self:
        await self._client.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.stop()


class EventPublisher(_KafkaClient):
    """Validates each event against the `LLMEvent` contract, then sends it keyed by user id.

    Keying by user keeps one user's events in order on one partition, which per-user state needs.
    """

    def __init__(self, settings: Settings, linger_ms: int = 5) -> None:
        self.topic = settings.topics.events
        self._client = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers, linger_ms=linger_ms, acks="all"
        )

    async def publish(self, event: LLMEvent | dict[str, Any]) -> None:
        """Validate (raises pydantic.ValidationError) and queue one event for sending."""
        valid = event if isinstance(event, LLMEvent) else LLMEvent.model_validate(event)
        value = valid.model_dump_json(exclude_none=True).encode()
        await self._client.send(self.topic, value=value, key=valid.user_id.encode())

    async def publish_many(self, events: Iterable[LLMEvent | dict[str, Any]]) -> int:
        count = 0
        for event in events:
            await self.publish(event)
            count += 1
        await self._client.flush()
        return count

    async def publish_raw(self, value: bytes, key: bytes | None = None) -> None:
        """Send bytes unvalidated: for replaying dead letters and testing the dead-letter path."""
        await self._client.send(self.topic, value=value, key=key)

    async def flush(self) -> None:
        await self._client.flush()


class TopicReader(_KafkaClient):
    """Follow a topic without joining a consumer group (no rebalance wait, no committed offsets)."""

    def __init__(self, settings: Settings, topic: str, from_beginning: bool = True) -> None:
        self._client = AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest" if from_beginning else "latest",
            enable_auto_commit=False,
        )

    async def records(self) -> AsyncIterator[ConsumerRecord]:
        async for record in self._client:
            yield record

    async def poll(self, timeout_s: float) -> list[ConsumerRecord]:
        """Whatever arrives within `timeout_s` (possibly nothing); safe to call in a loop."""
        batches = await self._client.getmany(timeout_ms=int(timeout_s * 1000))
        return [record for records in batches.values() for record in records]


class AlertSubscriber(TopicReader):
    """Yield each `Alert` once, even when the stream delivers it again after a worker restart."""

    def __init__(self, settings: Settings, from_beginning: bool = True, memory: int = 100_000):
        super().__init__(settings, settings.topics.alerts, from_beginning)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._memory = memory

    async def alerts(self) -> AsyncIterator[Alert]:
        async for record in self.records():
            alert = Alert.model_validate(json.loads(record.value))
            if alert.alert_id in self._seen:
                continue
            self._seen[alert.alert_id] = None
            if len(self._seen) > self._memory:
                self._seen.popitem(last=False)
            yield alert

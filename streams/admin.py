"""Create guardstream's topics up front, so producers and the worker never race to auto-create."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from guardstream.errors import BrokerError
from guardstream.streams.settings import Settings


def topic_specs(settings: Settings) -> list[NewTopic]:
    """Every topic guardstream reads or writes; the control topic is compacted (latest per key)."""
    topics = settings.topics
    plain = [topics.events, topics.scores, topics.alerts, topics.dlq, topics.feedback]
    plain.append(topics.drift_rows)
    if settings.ingest.otlp.topic:  # the OpenTelemetry Collector's kafka exporter writes here
        plain.append(settings.ingest.otlp.topic)
    specs = [NewTopic(name, topics.partitions, topics.replication_factor) for name in plain]
    for compacted in (topics.control, topics.drift_status):
        specs.append(
            NewTopic(
                compacted,
                1,
                topics.replication_factor,
                topic_configs={"cleanup.policy": "compact"},
            )
        )
    return specs


async def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create missing topics; return the names that were created."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
    except (KafkaConnectionError, TimeoutError) as exc:
        raise BrokerError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in topic_specs(settings) if spec.name not in existing]
        if missing:
            # another process may create them between our list and create
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        return [spec.name for spec in missing]
    finally:
        await admin.close()

"""The [kafka] knobs reach the clients that run: the worker's consumer (faust hard-codes its
fetch wait; guardstream's transport overrides it) and guardstream's output producer. Asserts on
the started clients' configuration, not on timing."""

from __future__ import annotations

import asyncio

import pytest

from guardstream.streams.app import create_app
from guardstream.streams.delivery import OutRecord
from guardstream.streams.publishing import MAX_BATCH_BYTES, OutputProducer
from guardstream.streams.settings import Settings
from tests.conftest import read_topic

pytestmark = pytest.mark.kafka


def tuned(settings: Settings) -> Settings:
    kafka = settings.kafka.model_copy(
        update={
            "fetch_max_wait_ms": 37,
            "fetch_min_bytes": 3,
            "max_poll_records": 123,
            "linger_ms": 7,
        }
    )
    return settings.model_copy(update={"kafka": kafka})


def test_fetch_and_batch_settings_reach_the_running_consumer_and_producer(
    stack_settings: Settings,
) -> None:
    settings = tuned(stack_settings)

    async def run() -> None:
        app = create_app(settings)
        assert app.conf.broker_max_poll_records == 123
        assert app.conf.producer_linger == pytest.approx(0.007)
        assert app.conf.table_standby_replicas == 0  # no worker reads another's changelogs
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        await consumer.start()
        try:
            fetcher = consumer._fetcher  # what the running fetch requests are built from
            assert (fetcher._fetch_max_wait_ms, fetcher._fetch_min_bytes) == (37, 3)
            assert consumer._max_poll_records == 123
            assert not consumer._enable_auto_commit  # commits are the agent loop's
        finally:
            await consumer.stop()
        producer = OutputProducer(settings, 2_000_000)
        await producer.start()
        try:
            accumulator = producer.client._message_accumulator
            assert accumulator._linger_time == pytest.approx(0.007)
            assert accumulator._batch_size == MAX_BATCH_BYTES
            assert producer.client._sender._acks == -1  # acks=all
        finally:
            await producer.stop()

    asyncio.run(run())


def test_output_producer_puts_a_record_with_a_partition_on_that_partition(
    stack_settings: Settings,
) -> None:
    """Changelog records go out with a batch's outputs on the partition of the event that
    changed the key, not the key's hash partition."""
    topic = stack_settings.topics.scores
    assert stack_settings.topics.partitions == 2
    records = [OutRecord(topic, b"same-key", f"v{p}".encode(), partition=p) for p in (0, 1)]

    async def send() -> None:
        producer = OutputProducer(stack_settings, 2_000_000)
        await producer.start()
        try:
            sent = await producer.send_many(records)
            await asyncio.gather(*(future for _, future in sent))
        finally:
            await producer.stop()

    asyncio.run(send())
    got = read_topic(stack_settings, topic, lambda rs: len(rs) >= 2)
    assert sorted((r.value, r.partition) for r in got) == [(b"v0", 0), (b"v1", 1)]

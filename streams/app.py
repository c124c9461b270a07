"""`create_app(settings)`: the faust app and its one agent. Nothing happens at import time.

The agent's loop lives in `agent_loop.py` (score -> publish -> await acks -> commit); this file
only wires faust to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import faust
from faust.types import TP

from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.streams.agent_loop import BatchLoop, raw_messages
from guardstream.streams.control import follow_control
from guardstream.streams.delivery import BatchPublisher, Headers
from guardstream.streams.drift_worker import add_drift
from guardstream.streams.limits import producer_max_request_bytes
from guardstream.streams.otlp_ingest import add_otlp_ingest
from guardstream.streams.processing import BatchOutput, RawMessage, process_batch
from guardstream.streams.settings import Settings


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> faust.App:
    """Build the worker app: llm.events -> detectors -> llm.scores / llm.alerts / dlq."""
    pipeline = pipeline or build_pipeline(settings.detectors, settings.alerts)
    worker = settings.worker
    max_request = producer_max_request_bytes(settings.limits, worker.max_event_bytes)
    app = faust.App(
        worker.group_id,
        broker=settings.bootstrap,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=worker.web_port != 0,
        web_port=worker.web_port or 6066,
        web_bind=worker.web_bind,
        broker_session_timeout=worker.session_timeout_s,
        broker_heartbeat_interval=worker.heartbeat_interval_s,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.topics.partitions,
        datadir=str(worker.data_dir),
        producer_acks=-1,
        producer_max_request_size=max_request,
    )
    topics = settings.topics
    # acks=False: faust never commits this topic on its timer; BatchLoop commits after acks.
    events = app.topic(topics.events, value_type=bytes, partitions=topics.partitions, acks=False)
    loop_ = batch_loop(app, settings, pipeline, max_request)
    control = follow_control(app, settings, pipeline.threshold_state)  # live thresholds
    add_otlp_ingest(app, settings, loop_.publisher, loop_.commit)  # when [ingest.otlp] is set
    add_drift(app, settings)  # drift windows per app/model, fed from llm.scores

    @app.agent(events, name="guardstream.score_events")
    async def score_events(stream: faust.StreamT[bytes]) -> None:
        await control.ready()  # never score an event before the live thresholds are loaded
        async for batch in stream.take_events(worker.batch_size, within=worker.batch_window_s):
            await loop_.handle(raw_messages(batch))

    return app


def batch_loop(
    app: faust.App, settings: Settings, pipeline: Pipeline, max_request: int
) -> BatchLoop:
    """The agent's loop bound to this app's producer and consumer."""
    topics = settings.topics
    # Scoring is CPU work: a thread keeps the event loop free for heartbeats meanwhile.
    scoring_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardstream-score")
    max_bytes = settings.worker.max_event_bytes

    async def score(messages: list[RawMessage]) -> BatchOutput:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            scoring_thread, process_batch, messages, pipeline, max_bytes
        )

    async def send(topic: str, key: bytes, value: bytes, headers: Headers | None) -> object:
        return await app.producer.send(topic, key, value, None, None, headers)

    async def commit(offsets: Mapping[tuple[str, int], int]) -> bool:
        return bool(await app.consumer._commit({TP(t, p): o for (t, p), o in offsets.items()}))

    publisher = BatchPublisher(
        send,
        topics.dlq,
        max_request,
        settings.limits.dead_letter_keep_bytes,
        settings.limits.publish_retry_max_s,
        what=f"Kafka at {settings.bootstrap_servers}",
    )
    return BatchLoop(score, publisher, commit, (topics.scores, topics.alerts, topics.dlq))

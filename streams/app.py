"""`create_app(settings)`: the faust app and its one agent. Nothing happens at import time."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import faust

from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.streams.control import follow_control
from guardstream.streams.processing import BatchOutput, RawMessage, process_batch
from guardstream.streams.settings import Settings


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> faust.App:
    """Build the worker app: llm.events -> detectors -> llm.scores / llm.alerts / dlq."""
    pipeline = pipeline or build_pipeline(settings.detectors)
    worker = settings.worker
    app = faust.App(
        worker.group_id,
        broker=settings.bootstrap,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=worker.web_port != 0,
        web_port=worker.web_port or 6066,
        broker_session_timeout=worker.session_timeout_s,
        broker_heartbeat_interval=worker.heartbeat_interval_s,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.topics.partitions,
        datadir=str(worker.data_dir),
        producer_acks=-1,
    )
    topics = settings.topics
    events = app.topic(topics.events, value_type=bytes, partitions=topics.partitions)
    scores = app.topic(topics.scores, value_type=bytes)
    alerts = app.topic(topics.alerts, value_type=bytes)
    dlq = app.topic(topics.dlq, value_type=bytes)
    control = follow_control(app, settings, pipeline.threshold_state)  # live thresholds
    # Scoring is CPU work: a thread keeps the event loop free for heartbeats meanwhile.
    scoring_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardstream-score")

    async def publish(output: BatchOutput) -> None:
        for record in output.scores:
            await scores.send(key=record.event_id.encode(), value=record.model_dump_json().encode())
        for alert in output.alerts:
            await alerts.send(key=alert.alert_id.encode(), value=alert.model_dump_json().encode())
        for letter in output.dead_letters:
            await dlq.send(key=letter.key(), value=letter.raw, headers=letter.headers())

    @app.agent(events, name="guardstream.score_events")
    async def score_events(stream: faust.StreamT[bytes]) -> None:
        loop = asyncio.get_running_loop()
        await control.ready()  # never score an event before the live thresholds are loaded
        async for batch in stream.take_events(worker.batch_size, within=worker.batch_window_s):
            messages = [
                RawMessage(e.value, e.message.topic, e.message.partition, e.message.offset)
                for e in batch
            ]
            output = await loop.run_in_executor(
                scoring_thread, process_batch, messages, pipeline, worker.max_event_bytes
            )
            await publish(output)

    return app

"""`create_app(settings)`: the faust app and its one agent. Nothing happens at import time.

The agent's loop lives in `agent_loop.py` (score -> publish -> await acks -> commit); this file
only wires faust to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust

from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.streams.agent_loop import BatchLoop, Scored, raw_messages, score_and_encode
from guardstream.streams.batching import commit_offsets, ready_batches
from guardstream.streams.control import follow_control
from guardstream.streams.delivery import BatchPublisher, Headers
from guardstream.streams.drift_rows import with_drift_rows
from guardstream.streams.drift_worker import add_drift
from guardstream.streams.evidence_key import configure_evidence_key
from guardstream.streams.kafka_tuning import faust_options, tune
from guardstream.streams.limits import producer_max_request_bytes
from guardstream.streams.metrics import WorkerMetrics, instrument
from guardstream.streams.offset_guard import GuardCloser, OffsetGuard
from guardstream.streams.otlp_ingest import add_otlp_ingest
from guardstream.streams.processing import RawMessage, process_batch
from guardstream.streams.publishing import OutputProducer
from guardstream.streams.settings import Settings
from guardstream.streams.state import BehaviourTables, attach_state
from guardstream.streams.watchdog import ScoringProcess, WatchdogScorer


def create_app(
    settings: Settings, pipeline: Pipeline | None = None, metrics: WorkerMetrics | None = None
) -> faust.App:
    """Build the worker app: llm.events -> detectors -> llm.scores / llm.alerts / dlq."""
    configure_evidence_key(settings)  # before any detector fingerprints a value
    pipeline = pipeline or build_pipeline(
        settings.detectors, settings.alerts, settings.limits.max_text_chars
    )
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
        table_standby_replicas=settings.state.standby_replicas,
        producer_acks=-1,
        producer_max_request_size=max_request,
        **faust_options(settings),
    )
    tune(app, settings)  # fetch wait / min bytes reach the consumer (faust hard-codes them)
    topics = settings.topics
    # acks=False: faust never commits this topic on its timer; BatchLoop commits after acks.
    state = attach_state(app, settings)  # behaviour table + by-user topic
    source_topics = state.source_topics(topics.events)
    guard = OffsetGuard(app, settings, source_topics)
    app.add_dependency(GuardCloser(guard))
    app.timer(1.0, name="guardstream.offset_guard")(guard.check_idle)
    events = app.topic(
        *source_topics,
        value_type=bytes,
        partitions=topics.partitions,
        acks=False,
    )
    loop_ = batch_loop(app, settings, pipeline, max_request, state)
    control = follow_control(app, settings, pipeline.threshold_state)  # live thresholds
    add_otlp_ingest(app, settings, loop_.publisher, loop_.commit, metrics)  # [ingest.otlp]
    add_drift(app, settings)  # drift windows per app/model, fed from llm.scores
    if metrics is not None:
        instrument(metrics, app, loop_, topics.events)
    watch = metrics.watch_queue if metrics is not None else None

    @app.on_partitions_revoked.connect
    async def _commit_acknowledged(app: faust.App, revoked: Any, **_: Any) -> None:
        await loop_.commits.flush()  # the new owners start after what was acknowledged here

    @app.agent(events, name="guardstream.score_events")
    async def score_events(stream: faust.StreamT[bytes]) -> None:
        await control.ready()  # never score an event before the live thresholds are loaded
        try:
            async for batch in ready_batches(stream, settings.tuning(), watch):
                messages = await guard.admit(raw_messages(batch))  # contiguous offsets only
                if messages:
                    await loop_.submit(messages)  # scores; publishes in the background
                for event in batch:
                    await stream.ack(event)
        finally:
            await loop_.flush()

    return app


def batch_loop(
    app: faust.App,
    settings: Settings,
    pipeline: Pipeline,
    max_request: int,
    state: BehaviourTables | None = None,
) -> BatchLoop:
    """The agent's loop bound to this app's producer and consumer."""
    topics = settings.topics
    # Scoring is CPU work: a thread keeps the event loop free for heartbeats meanwhile.
    scoring_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardstream-score")
    max_bytes = settings.worker.max_event_bytes
    outputs = (topics.scores, topics.alerts, topics.dlq)
    in_thread = score_and_encode(lambda m: process_batch(m, pipeline, max_bytes), outputs)
    producer = OutputProducer(settings, max_request)
    app.add_dependency(producer)  # started before the agents, stopped after them

    async def score_in_thread(messages: list[RawMessage]) -> Scored:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(scoring_thread, in_thread, messages)

    limits = settings.limits
    score = score_in_thread
    if limits.scoring == "process":  # killable: the per-batch watchdog (streams/watchdog.py)
        child = ScoringProcess(pipeline, max_bytes, outputs, encode=state is None)
        score = WatchdogScorer(child, limits.batch_timeout_s, limits.event_timeout_s)
    # behaviour + suppression here, next to the tables (streams/state.py), in batch order while
    # the next batch is scored; + each batch's drift rows, per app
    on_loop = settings.tuning().state_on_loop
    finish = state.finisher(pipeline, outputs, on_loop) if state is not None else None
    finish = with_drift_rows(finish, settings, on_loop)

    async def send(topic: str, key: bytes, value: bytes, headers: Headers | None) -> object:
        return await producer.send(topic, key, value, headers)

    async def commit(offsets: Mapping[tuple[str, int], int]) -> bool:
        return await commit_offsets(app.consumer, offsets)

    publisher = BatchPublisher(
        send,
        topics.dlq,
        max_request,
        settings.limits.dead_letter_keep_bytes,
        settings.limits.publish_retry_max_s,
        what=f"Kafka at {settings.bootstrap_servers}",
        send_many=producer.send_many,
    )
    return BatchLoop(score, publisher, commit, outputs, finish, settings.worker.commit_interval_s)

"""Python client for guardstream's users: publish events, subscribe to alerts and scores,
tune live thresholds (`ThresholdAdmin`) and label events and alerts (`FeedbackPublisher`).

Delivery is at-least-once end to end, so `AlertSubscriber` drops alert ids it has already
yielded: a redelivered alert reaches the caller once.
"""

from __future__ import annotations

import contextlib
import getpass
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from guardstream.contracts import (
    Alert,
    Feedback,
    FeedbackLabel,
    LLMEvent,
    Severity,
    ThresholdRecord,
)
from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.detectors.thresholds import InForce, ThresholdState
from guardstream.errors import BrokerError
from guardstream.streams.admin import ensure_topics
from guardstream.streams.control import plan_change, read_control
from guardstream.streams.limits import producer_max_request_bytes
from guardstream.streams.settings import Settings


class _KafkaClient:
    """`async with` starts and stops the wrapped aiokafka client."""

    _client: AIOKafkaProducer | AIOKafkaConsumer

    async def __aenter__(self) -> Self:
        """Start the client; no broker is one clear BrokerError (one line in the CLI), and the
        half-started client is closed rather than left to warn "Unclosed" at exit."""
        try:
            await self._client.start()
        except KafkaError as exc:
            with contextlib.suppress(Exception):
                await self._client.stop()
            raise BrokerError(f"cannot reach Kafka at {self.servers}: {exc}") from exc
        return self

    @property
    def servers(self) -> str:
        inner = getattr(self._client, "client", None) or getattr(self._client, "_client", None)
        return str(getattr(inner, "_bootstrap_servers", "?"))

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
            **settings.kafka_client_options(),
            linger_ms=linger_ms,
            acks="all",
            # an event as large as the worker accepts must also be publishable
            max_request_size=producer_max_request_bytes(
                settings.limits, settings.worker.max_event_bytes
            ),
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
            **settings.kafka_client_options(),
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


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class ThresholdAdmin(_KafkaClient):
    """Show, set, disable, enable and audit live thresholds on the control topic.

    Every change is validated (known score key of the enabled detectors, value in [0, 1],
    non-empty reason) before anything is sent; a refused change raises `ThresholdError`.
    The score keys and config/manifest values come from `pipeline` (built from settings if
    not given, which loads the models once).
    """

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self._pipeline = pipeline
        self._keys: list[str] | None = None
        self._client = AIOKafkaProducer(**settings.kafka_client_options(), acks="all")

    async def __aenter__(self) -> Self:
        await ensure_topics(self.settings)  # `set` may come before any worker created them
        return await super().__aenter__()

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            self._pipeline = build_pipeline(self.settings.detectors)
        return self._pipeline

    def score_keys(self) -> list[str]:
        if self._keys is None:
            self._keys = self.pipeline.score_keys()
        return self._keys

    async def records(self) -> list[ThresholdRecord]:
        """Every threshold record on the control topic, oldest first."""
        return await read_control(self.settings)

    async def state(self) -> ThresholdState:
        """Config/manifest values with every control record applied, as a worker holds them."""
        base = self.pipeline.threshold_state.snapshot()
        state = ThresholdState(base.base, base.sources)
        state.apply(await self.records())
        return state

    async def show(self, app_id: str | None = None) -> list[InForce]:
        return (await self.state()).in_force(app_id)

    async def history(self, score_key: str, app_id: str | None = None) -> list[ThresholdRecord]:
        """Every version of `score_key` (all apps and global unless `app_id` is given)."""
        return [
            r
            for r in await self.records()
            if r.score_key == score_key and (app_id is None or r.app_id == app_id)
        ]

    async def set(
        self,
        score_key: str,
        value: float,
        *,
        reason: str,
        app_id: str | None = None,
        set_by: str | None = None,
        severity: Severity | None = None,
        suppress_s: float | None = None,
    ) -> ThresholdRecord:
        """Publish a threshold; `severity`/`suppress_s` override this key's alerts (else none)."""
        overrides = {"severity": severity, "suppress_s": suppress_s}
        return await self._change(score_key, value, True, reason, app_id, set_by, overrides)

    async def disable(
        self, score_key: str, *, reason: str, app_id: str | None = None, set_by: str | None = None
    ) -> ThresholdRecord:
        return await self._change(score_key, None, False, reason, app_id, set_by)

    async def enable(
        self, score_key: str, *, reason: str, app_id: str | None = None, set_by: str | None = None
    ) -> ThresholdRecord:
        return await self._change(score_key, None, True, reason, app_id, set_by)

    async def _change(
        self,
        score_key: str,
        value: float | None,
        enabled: bool,
        reason: str,
        app_id: str | None,
        set_by: str | None,
        overrides: dict[str, Any] | None = None,
    ) -> ThresholdRecord:
        record = plan_change(
            await self.records(),
            self.score_keys(),
            score_key,
            app_id=app_id,
            threshold=value,
            enabled=enabled,
            set_by=set_by or current_user(),
            reason=reason,
            alert_overrides=overrides,
        )
        await self._client.send_and_wait(
            self.settings.topics.control,
            key=record.key.encode(),
            value=record.model_dump_json().encode(),
        )
        return record


class FeedbackPublisher(_KafkaClient):
    """Send analysts' labels to the feedback topic, validated against the `Feedback` contract."""

    def __init__(self, settings: Settings) -> None:
        self.topic = settings.topics.feedback
        self._client = AIOKafkaProducer(**settings.kafka_client_options(), acks="all")

    async def publish(self, feedback: Feedback | dict[str, Any]) -> Feedback:
        """Validate (raises pydantic.ValidationError) and send one label, keyed by its subject."""
        valid = feedback if isinstance(feedback, Feedback) else Feedback.model_validate(feedback)
        value = valid.model_dump_json(exclude_none=True).encode()
        await self._client.send_and_wait(self.topic, value=value, key=valid.subject.encode())
        return valid

    async def label(
        self,
        event_id: str,
        label: FeedbackLabel,
        *,
        labeler: str,
        score_key: str | None = None,
        note: str | None = None,
    ) -> Feedback:
        feedback = Feedback(
            event_id=event_id, label=label, labeler=labeler, score_key=score_key, note=note
        )
        return await self.publish(feedback)

    async def label_alert(
        self, alert_id: str, label: FeedbackLabel, *, labeler: str, note: str | None = None
    ) -> Feedback:
        return await self.publish(
            Feedback(alert_id=alert_id, label=label, labeler=labeler, note=note)
        )

    async def publish_raw(self, value: bytes, key: bytes | None = None) -> None:
        """Send bytes unvalidated: for testing how bad feedback is dead-lettered."""
        await self._client.send_and_wait(self.topic, value=value, key=key)

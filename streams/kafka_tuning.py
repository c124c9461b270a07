"""The `[kafka]` and `[security]` settings, delivered to faust's aiokafka clients.

Most knobs go through faust's own configuration (`faust_options`). Two do not: faust 0.15.3
builds the worker's `AIOKafkaConsumer` with `fetch_max_wait_ms=1500` written into the call and
no way to pass `fetch_min_bytes`. On Tansu an empty fetch is answered only when that wait runs
out, so it sets the floor of event->score latency. `TunedTransport` is the thin override: its
consumer thread builds faust's consumer as usual, then sets those two fields before the consumer
starts (they are read when its fetcher is created). aiokafka is pinned, and
`tests/test_kafka_tuning.py` checks the running consumer's fetcher, so a change in either
library fails a test rather than silently dropping the setting.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypeVar

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from guardstream.streams.ops_settings import Profile
from guardstream.streams.settings import Settings

T = TypeVar("T")


class TunedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(
        self, transport: faust_aiokafka.Transport
    ) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        profile: Profile | None = getattr(transport, "profile", None)
        if profile is not None:
            consumer._fetch_max_wait_ms = profile.fetch_max_wait_ms
            consumer._fetch_min_bytes = profile.fetch_min_bytes
        return consumer


class GuardedReadOffsets(defaultdict[TP, int | None]):
    """faust's per-partition read offsets, reading "none yet" for the guarded topics, so that
    faust's fetch loop drops nothing there (see `offset_guard.py`, which does instead)."""

    def __init__(self, guarded_topics: frozenset[str]) -> None:
        super().__init__(lambda: None)
        self.guarded_topics = guarded_topics

    def __getitem__(self, tp: TP) -> int | None:
        if tp.topic in self.guarded_topics:
            return None
        return super().__getitem__(tp)


class TunedConsumer(faust_aiokafka.Consumer):
    def __init__(self, transport: TunedTransport, *args: Any, **kwargs: Any) -> None:
        super().__init__(transport, *args, **kwargs)
        # faust binds this mapping's __getitem__ when its fetch loop starts: set it here
        self._read_offset = GuardedReadOffsets(transport.guarded_topics)

    def _new_consumer_thread(self) -> TunedConsumerThread:
        return TunedConsumerThread(self, loop=self.loop, beacon=self.beacon)


class TunedTransport(faust_aiokafka.Transport):
    """faust's aiokafka transport with the consumer above; `profile` is set by `tune`."""

    Consumer = TunedConsumer
    profile: Profile | None = None
    guarded_topics: frozenset[str] = frozenset()  # set by OffsetGuard before the consumer exists


def faust_options(settings: Settings) -> dict[str, Any]:
    """faust.App keyword arguments for the tuning and security faust does support."""
    profile = settings.tuning()
    options: dict[str, Any] = {
        "broker_max_poll_records": profile.max_poll_records,
        "consumer_max_fetch_size": settings.kafka.max_partition_fetch_bytes,
        "producer_linger": profile.linger_ms / 1000,
        # the scorer is the bottleneck: a buffer of a few batches is enough to keep it fed
        "stream_buffer_maxsize": max(4 * profile.batch_size, 1024),
    }
    credentials = broker_credentials(settings)
    if credentials is not None:
        options["broker_credentials"] = credentials
    return options


def broker_credentials(settings: Settings) -> faust.auth.Credentials | None:
    security = settings.security
    context = security.ssl_context()
    if security.sasl_mechanism:
        return faust.SASLCredentials(
            username=security.username,
            password=security.password,
            ssl_context=context,
            mechanism=security.sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def tune(app: faust.App, settings: Settings) -> None:
    """Give `app` the tuned transport. Call right after `faust.App(...)`, before any topic is
    declared (declaring one creates the default transport)."""
    transport = TunedTransport(app.conf.broker_consumer, app)
    transport.profile = settings.tuning()
    app.transport = transport

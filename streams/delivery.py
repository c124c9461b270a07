"""Publish one batch's outputs and return only once the broker has acknowledged every record.

The agent commits a batch's offsets after this returns, which is what makes delivery
at-least-once: a crash before the acks means the batch is read and published again, never lost.
A send that fails is retried with back-off for as long as it takes (a batch is never dropped);
a record too large for the producer or broker is dead-lettered truncated instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka.errors import MessageSizeTooLargeError

from guardstream.contracts import Alert, ScoreRecord
from guardstream.streams.dead_letter import DeadLetter
from guardstream.streams.log_limits import RateLimitedLog
from guardstream.streams.processing import BatchOutput

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]
# (topic, key, value, headers) -> a future of the broker's acknowledgement
SendFn = Callable[[str, bytes, bytes, Headers | None], Awaitable[Awaitable[object]]]


@dataclass(frozen=True)
class OutRecord:
    topic: str
    key: bytes
    value: bytes
    headers: Headers | None = None
    letter: DeadLetter | None = None  # the dead letter this record carries, if it is one
    partition: int | None = None  # None: the key's (murmur2) partition; set for changelogs

    @property
    def size(self) -> int:
        headers = sum(len(k) + len(v) for k, v in self.headers or ())
        return len(self.key) + len(self.value) + headers


def dead_letter_record(topic: str, letter: DeadLetter) -> OutRecord:
    return OutRecord(topic, letter.key(), letter.raw, letter.headers(), letter)


# Records that went out together (one record batch) and the future of their acknowledgement.
SentGroup = tuple[list[OutRecord], Awaitable[object]]
SendManyFn = Callable[[list[OutRecord]], Awaitable[list[SentGroup]]]

# pydantic's compiled serializers, called directly: the same JSON as model_dump_json, cheaper.
_score_json = ScoreRecord.__pydantic_serializer__.to_json
_alert_json = Alert.__pydantic_serializer__.to_json


def records_of(output: BatchOutput, scores: str, alerts: str, dlq: str) -> list[OutRecord]:
    """Every record one batch produces, in the order they are sent. Runs in the scoring
    thread, so encoding stays off the event loop."""
    records = [
        OutRecord(scores, r.event_id.encode("utf-8", "replace"), _score_json(r))
        for r in output.scores
    ]
    records += [OutRecord(alerts, a.alert_id.encode(), _alert_json(a)) for a in output.alerts]
    records += [dead_letter_record(dlq, letter) for letter in output.dead_letters]
    records += [OutRecord(topic, key, value) for topic, key, value in output.forwards]
    return records


class BatchPublisher:
    """Sends records, waits for every acknowledgement, retries what failed until it succeeds."""

    def __init__(
        self,
        send: SendFn,
        dlq_topic: str,
        max_request_bytes: int,
        keep_bytes: int,
        retry_max_s: float = 30.0,
        what: str = "the broker",
        send_many: SendManyFn | None = None,
    ) -> None:
        self._send = send
        self._send_many = send_many
        self.dlq_topic = dlq_topic
        self.max_request_bytes = max_request_bytes
        self.keep_bytes = keep_bytes
        self.retry_max_s = retry_max_s
        self.what = what
        self.warnings = RateLimitedLog(log)
        self.retries = 0

    def fit(self, record: OutRecord) -> OutRecord:
        """A record over the producer limit becomes a truncated dead letter that fits."""
        if record.size + 512 <= self.max_request_bytes:
            return record
        return self.shrink(record, "over the producer's max request size")

    def shrink(self, record: OutRecord, why: str) -> OutRecord:
        letter = record.letter or DeadLetter(
            raw=record.value,
            reason=f"output record for {record.topic} could not be sent",
            code="output_too_large",
            source_topic=record.topic,
            source_partition=-1,
            source_offset=-1,
        )
        keep = min(self.keep_bytes, max(1024, len(letter.raw) // 4))
        return dead_letter_record(self.dlq_topic, letter.truncated(keep, why))

    async def publish(self, records: list[OutRecord]) -> None:
        """Return when every record (or its truncated dead letter) is acknowledged."""
        pending = [self.fit(r) for r in records]
        solo: set[int] = set()  # records to send on their own (their batch was too large)
        delay = 0.05
        while pending:
            groups, failed = await self._send_round(pending, solo)
            results = await asyncio.gather(*(f for _, f in groups), return_exceptions=True)
            for (group, _), result in zip(groups, results, strict=True):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if isinstance(result, BaseException):
                    failed.extend((record, result, len(group)) for record in group)
            if not failed:
                self.warnings.clear("send", "publishing to %s works again", self.what)
                return
            pending = []
            for record, exc, together in failed:
                if isinstance(exc, MessageSizeTooLargeError) and together > 1:
                    solo.add(id(record))  # the batch was too big, maybe not this record
                    pending.append(record)
                else:
                    pending.append(self._retry_as(record, exc))
            self.retries += len(pending)
            first = failed[0][1]
            self.warnings.warn(
                "send",
                "%d record(s) not acknowledged by %s (%s: %s); retrying every <= %.0fs, "
                "offsets stay uncommitted until they are",
                len(pending), self.what, type(first).__name__, first, self.retry_max_s,
            )  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max_s)

    async def _send_round(
        self, pending: list[OutRecord], solo: set[int]
    ) -> tuple[list[SentGroup], list[tuple[OutRecord, BaseException, int]]]:
        """Queue every pending record (batched when a batch sender is set); nothing awaited."""
        groups: list[SentGroup] = []
        failed: list[tuple[OutRecord, BaseException, int]] = []
        batched = self._send_many is not None
        together = [r for r in pending if id(r) not in solo] if batched else []
        singles = [r for r in pending if id(r) in solo] if batched else pending
        if together and self._send_many is not None:
            try:
                groups.extend(await self._send_many(together))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failed.extend((r, exc, len(together)) for r in together)
        for record in singles:
            try:
                if record.partition is not None:  # a changelog record: only send_many routes it
                    if self._send_many is None:
                        raise ValueError(f"{record.topic}: a partitioned record needs send_many")
                    groups.extend(await self._send_many([record]))  # a batch of one
                    continue
                future = await self._send(record.topic, record.key, record.value, record.headers)
                groups.append(([record], future))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failed.append((record, exc, 1))
        return groups, failed

    def _retry_as(self, record: OutRecord, exc: BaseException) -> OutRecord:
        if isinstance(exc, MessageSizeTooLargeError):
            return self.shrink(record, "rejected as too large by the broker")
        return record

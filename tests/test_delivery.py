"""Publishing a batch: oversized records become truncated dead letters, failures are retried,
offsets to commit are one past each partition's last message."""

from __future__ import annotations

import asyncio
import hashlib

from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from guardstream.streams.agent_loop import next_offsets
from guardstream.streams.dead_letter import DeadLetter, read_headers
from guardstream.streams.delivery import BatchPublisher, OutRecord, dead_letter_record
from guardstream.streams.limits import LimitSettings, check_limits, producer_max_request_bytes
from guardstream.streams.processing import RawMessage


def letter(raw: bytes) -> DeadLetter:
    return DeadLetter(raw, "event is too big", "oversized", "llm.events", 1, 7)


class Recorder:
    """A send function that fails the first `failures` calls with `error`, then acks."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or KafkaTimeoutError()
        self.sent: list[tuple[str, bytes, bytes]] = []

    async def __call__(self, topic, key, value, headers):  # type: ignore[no-untyped-def]
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if self.failures:
            self.failures -= 1
            future.set_exception(self.error)
        else:
            self.sent.append((topic, key, value))
            future.set_result(None)
        return future


def test_truncated_dead_letter_keeps_prefix_size_and_hash() -> None:
    raw = b"x" * 100_000
    small = letter(raw).truncated(1024, "too large")
    headers = read_headers(small.headers())
    assert small.raw == raw[:1024]
    assert headers["guardstream.dlq.truncated"] == "true"
    assert headers["guardstream.dlq.original.bytes"] == "100000"
    assert headers["guardstream.dlq.original.sha256"] == hashlib.sha256(raw).hexdigest()
    assert "truncated" in headers["guardstream.dlq.reason"]


def test_record_over_the_producer_limit_is_sent_truncated_not_dropped() -> None:
    send = Recorder()
    publisher = BatchPublisher(send, "dlq", max_request_bytes=50_000, keep_bytes=4096)
    asyncio.run(publisher.publish([dead_letter_record("dlq", letter(b"y" * 60_000))]))
    [(topic, _, value)] = send.sent
    assert topic == "dlq" and value == b"y" * 4096


def test_failed_sends_are_retried_until_acknowledged() -> None:
    send = Recorder(failures=3)
    publisher = BatchPublisher(send, "dlq", max_request_bytes=1 << 20, keep_bytes=4096)
    asyncio.run(publisher.publish([OutRecord("scores", b"k", b"v")]))
    assert send.sent == [("scores", b"k", b"v")]
    assert publisher.retries == 3


def test_broker_size_rejection_retries_as_truncated_dead_letter() -> None:
    send = Recorder(failures=1, error=MessageSizeTooLargeError())
    publisher = BatchPublisher(send, "dlq", max_request_bytes=1 << 20, keep_bytes=2048)
    asyncio.run(publisher.publish([dead_letter_record("dlq", letter(b"z" * 20_000))]))
    [(_, _, value)] = send.sent
    assert value == b"z" * 2048


def test_offsets_to_commit_are_one_past_each_partitions_last() -> None:
    batch = [RawMessage(b"", "t", p, o) for p, o in [(0, 5), (1, 9), (0, 7), (1, 8)]]
    assert next_offsets(batch) == {("t", 0): 8, ("t", 1): 10}


def test_producer_limit_is_derived_and_checked_against_event_size() -> None:
    limits = LimitSettings()
    assert producer_max_request_bytes(limits, 1_048_576) == 1_048_576 + 65_536
    assert check_limits(limits, 1_048_576) == []
    too_small = LimitSettings(producer_max_request_bytes=1_000_000)
    [(key, problem)] = check_limits(too_small, 1_048_576)
    assert key == "limits.producer_max_request_bytes" and "worker.max_event_bytes" in problem


def test_contradicting_limits_fail_at_start_naming_the_key() -> None:
    import pytest

    from guardstream.errors import ConfigError
    from guardstream.streams.settings import load_settings

    env = {"GUARDSTREAM_LIMITS__PRODUCER_MAX_REQUEST_BYTES": "1000000"}
    with pytest.raises(ConfigError, match=r"limits\.producer_max_request_bytes"):
        load_settings(env=env)

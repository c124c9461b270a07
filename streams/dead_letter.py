"""Dead-letter records: the original bytes untouched, the reason and origin in headers.

Keeping the value byte-for-byte means nothing is lost and a fixed event can be replayed as is;
the header names follow Kafka Connect's DLQ context headers in spirit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

REASON = "guardstream.dlq.reason"
CODE = "guardstream.dlq.code"
TOPIC = "guardstream.dlq.source.topic"
PARTITION = "guardstream.dlq.source.partition"
OFFSET = "guardstream.dlq.source.offset"
AT = "guardstream.dlq.at"


@dataclass(frozen=True)
class DeadLetter:
    raw: bytes
    reason: str
    code: str
    source_topic: str
    source_partition: int
    source_offset: int

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            (REASON, self.reason.encode()),
            (CODE, self.code.encode()),
            (TOPIC, self.source_topic.encode()),
            (PARTITION, str(self.source_partition).encode()),
            (OFFSET, str(self.source_offset).encode()),
            (AT, datetime.now(UTC).isoformat().encode()),
        ]

    def key(self) -> bytes:
        """Same source message, same key: replays of a bad message are recognisable."""
        return f"{self.source_topic}:{self.source_partition}:{self.source_offset}".encode()


def read_headers(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    """Header list as a dict of text, for printing and tests."""
    return {k: (v or b"").decode("utf-8", "replace") for k, v in (headers or [])}

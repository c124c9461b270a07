"""Dead-letter records: the original bytes untouched, the reason and origin in headers.

Keeping the value byte-for-byte means nothing is lost and a fixed event can be replayed as is;
the header names follow Kafka Connect's DLQ context headers in spirit. The one exception is a
message too large to send at all: it is dead-lettered truncated (its first bytes, with the
sha256 and size of the whole in headers), because a dropped dead letter is a lost event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

REASON = "guardstream.dlq.reason"
CODE = "guardstream.dlq.code"
TOPIC = "guardstream.dlq.source.topic"
PARTITION = "guardstream.dlq.source.partition"
OFFSET = "guardstream.dlq.source.offset"
AT = "guardstream.dlq.at"
TRUNCATED = "guardstream.dlq.truncated"
ORIGINAL_BYTES = "guardstream.dlq.original.bytes"
ORIGINAL_SHA256 = "guardstream.dlq.original.sha256"


@dataclass(frozen=True)
class DeadLetter:
    raw: bytes
    reason: str
    code: str
    source_topic: str
    source_partition: int
    source_offset: int
    original_bytes: int | None = None  # set when `raw` is a truncated prefix
    original_sha256: str | None = None

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            (REASON, self.reason.encode("utf-8", "replace")),
            (CODE, self.code.encode()),
            (TOPIC, self.source_topic.encode("utf-8", "replace")),
            (PARTITION, str(self.source_partition).encode()),
            (OFFSET, str(self.source_offset).encode()),
            (AT, datetime.now(UTC).isoformat().encode()),
        ]
        if self.original_bytes is not None:
            headers += [
                (TRUNCATED, b"true"),
                (ORIGINAL_BYTES, str(self.original_bytes).encode()),
                (ORIGINAL_SHA256, (self.original_sha256 or "").encode()),
            ]
        return headers

    def key(self) -> bytes:
        """Same source message, same key: replays of a bad message are recognisable."""
        return f"{self.source_topic}:{self.source_partition}:{self.source_offset}".encode(
            "utf-8", "replace"
        )

    def truncated(self, keep_bytes: int, why: str) -> DeadLetter:
        """The first `keep_bytes` of the value, with the whole value's size and sha256."""
        if self.original_bytes is not None:  # already a prefix: keep less of it
            return replace(self, raw=self.raw[:keep_bytes])
        return replace(
            self,
            raw=self.raw[:keep_bytes],
            reason=f"{self.reason} [{why}; value truncated to {keep_bytes} bytes]",
            original_bytes=len(self.raw),
            original_sha256=hashlib.sha256(self.raw).hexdigest(),
        )


def read_headers(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    """Header list as a dict of text, for printing and tests."""
    return {k: (v or b"").decode("utf-8", "replace") for k, v in (headers or [])}

"""One message of each poison kind that used to crash, stall or leak in the worker: for the
real-broker tests and `guardstream demo`-style checks. Each value with the dead-letter code the
worker must give it (None: the event is valid and must be scored, e.g. clipped)."""

from __future__ import annotations

import json
from typing import Any

BASE: dict[str, Any] = {
    "timestamp": "2026-11-24T10:00:00Z",
    "app_id": "poison-app",
    "user_id": "poison-user",
    "prompt": "hi",
}


def _event(event_id: str, **fields: Any) -> bytes:
    return json.dumps({**BASE, "event_id": event_id, **fields}).encode()


def poison_messages(max_event_bytes: int) -> list[tuple[str, bytes, str | None]]:
    """(name, value, expected dead-letter code or None if it must be scored)."""
    big_int = _event("p-int", input_tokens=0).replace(
        b'"input_tokens": 0', b'"input_tokens": ' + b"9" * 5000
    )
    return [
        ("deep_json", b"[" * 10_000, "depth"),
        ("big_int", big_int, "number"),
        ("timestamp_overflow", _event("p-ts", timestamp="9999-12-31T23:59:59-23:59"), "schema"),
        ("lone_surrogate", _event("p-sur", prompt="\ud800"), "encoding"),
        ("invalid_utf8", b'{"event_id": "\xff\xfe"}', "encoding"),
        ("nan", _event("p-nan", latency_ms=1).replace(b": 1}", b": NaN}"), "not_json"),
        ("slashes", _event("p-slash", prompt="/" * (max_event_bytes - 200)), None),
        ("leet_run", _event("p-leet", prompt="a" + "@" * (max_event_bytes // 2) + "a_"), None),
        # over max_event_bytes + the producer's headroom: its dead letter must go out truncated
        ("oversized_non_json", b"x" * (max_event_bytes + 128 * 1024), "oversized"),
    ]

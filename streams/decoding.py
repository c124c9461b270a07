"""Bytes off the wire to `LLMEvent`, or a reason why not. Never raises anything else.

Guarantees, each a dead-letter code: `empty`, `oversized` (before anything else is done),
`encoding` (invalid UTF-8 or a lone surrogate escape), `depth` (nesting over MAX_DEPTH, found
by a linear scan before parsing), `number` (an integer of more than 100 digits, a float out of
range), `not_json`, `not_object`, `schema` (including timestamps outside 1970-2100).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import ValidationError

from guardstream.contracts import LLMEvent
from guardstream.errors import EventDecodeError
from guardstream.streams.json_limits import (
    MAX_DEPTH,
    JsonLimitError,
    json_depth,
    may_hold_surrogate,
    parse_constant,
    parse_float,
    parse_int,
)

MAX_REASON_CHARS = 1000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def decode_event(raw: bytes | None, max_bytes: int) -> LLMEvent:
    """Parse and validate one message value; raise `EventDecodeError` with a readable reason."""
    try:
        return _decode(raw, max_bytes)
    except EventDecodeError:
        raise
    except Exception as exc:  # the promise above holds even for a case nobody thought of
        raise EventDecodeError(f"could not decode: {type(exc).__name__}", "decode") from exc


def _decode(raw: bytes | None, max_bytes: int) -> LLMEvent:
    if raw is None:
        raise EventDecodeError("empty message value (tombstone)", "empty")
    if len(raw) > max_bytes:
        raise EventDecodeError(
            f"event is {len(raw)} bytes, over the {max_bytes} limit", "oversized"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventDecodeError(f"not UTF-8: {exc}", "encoding") from exc
    depth = json_depth(raw)
    if depth > MAX_DEPTH:
        raise EventDecodeError(f"JSON nested {depth} deep, over the {MAX_DEPTH} limit", "depth")
    try:
        data = json.loads(
            text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant
        )
    except JsonLimitError as exc:
        raise EventDecodeError(str(exc), exc.code) from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise EventDecodeError(f"not JSON: {exc}"[:MAX_REASON_CHARS], "not_json") from exc
    if not isinstance(data, dict):
        raise EventDecodeError(f"expected a JSON object, got {type(data).__name__}", "not_object")
    if may_hold_surrogate(raw):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EventDecodeError(
                f"text holds a lone UTF-16 surrogate ({exc.object[exc.start : exc.end]!r})",
                "encoding",
            ) from exc
    try:
        event = LLMEvent.model_validate(data)
    except ValidationError as exc:
        raise EventDecodeError(describe_validation_error(exc), "schema") from exc
    if not EARLIEST <= event.timestamp < LATEST:
        raise EventDecodeError(
            f"timestamp: {event.timestamp.isoformat()} is outside 1970-2100", "schema"
        )
    return event


def describe_validation_error(exc: ValidationError) -> str:
    """`user_id: Field required; timestamp: Input should be a valid datetime` — short, exact."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(event)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)[:MAX_REASON_CHARS]

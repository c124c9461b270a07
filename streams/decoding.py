"""Bytes off the wire to `LLMEvent`, or a reason why not. Never raises anything else."""

from __future__ import annotations

import json

from pydantic import ValidationError

from guardstream.contracts import LLMEvent
from guardstream.errors import EventDecodeError

MAX_REASON_CHARS = 1000


def decode_event(raw: bytes | None, max_bytes: int) -> LLMEvent:
    """Parse and validate one message value; raise `EventDecodeError` with a readable reason."""
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
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventDecodeError(f"not JSON: {exc}", "not_json") from exc
    if not isinstance(data, dict):
        raise EventDecodeError(f"expected a JSON object, got {type(data).__name__}", "not_object")
    try:
        return LLMEvent.model_validate(data)
    except ValidationError as exc:
        raise EventDecodeError(describe_validation_error(exc), "schema") from exc


def describe_validation_error(exc: ValidationError) -> str:
    """`user_id: Field required; timestamp: Input should be a valid datetime` — short, exact."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(event)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)[:MAX_REASON_CHARS]

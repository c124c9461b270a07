"""Limits that keep one message from costing more than its share: sizes, clipping, time budgets.

They live in their own settings section (`[limits]`, GUARDSTREAM_LIMITS__*) and are checked
against each other at start-up, so a worker never discovers at 3 a.m. that its producer cannot
send the dead letter of an event its consumer accepted.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Headers, key and record framing around a dead letter's value: reason (<= 1 kB), source
# topic/partition/offset, timestamps, sha256, plus the Kafka record batch overhead.
DEFAULT_HEADROOM_BYTES = 64 * 1024


class LimitSettings(BaseModel):
    """`producer_max_request_bytes` 0 means "derive it": max_event_bytes + headroom."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    max_text_chars: int = Field(default=100_000, ge=1_000, le=100_000_000)
    batch_timeout_s: float = Field(default=20.0, gt=0, le=3600)
    event_timeout_s: float = Field(default=5.0, gt=0, le=3600)
    dead_letter_keep_bytes: int = Field(default=64 * 1024, ge=1024)
    producer_headroom_bytes: int = Field(default=DEFAULT_HEADROOM_BYTES, ge=4096)
    producer_max_request_bytes: int = Field(default=0, ge=0)
    publish_retry_max_s: float = Field(default=30.0, gt=0, le=3600)
    # "process": score in a subprocess that is killed when a batch overruns batch_timeout_s
    # (then event by event, each overrun dead-lettered `timeout`); "thread": in-process, no
    # budget (only for pipelines that cannot be pickled).
    scoring: Literal["process", "thread"] = "process"


def producer_max_request_bytes(limits: LimitSettings, max_event_bytes: int) -> int:
    """What the producer must accept: the largest event's dead letter, with its headers."""
    return limits.producer_max_request_bytes or max_event_bytes + limits.producer_headroom_bytes


def check_limits(limits: LimitSettings, max_event_bytes: int) -> list[tuple[str, str]]:
    """(key, problem) for every pair of settings that contradict each other; empty if fine."""
    problems: list[tuple[str, str]] = []
    request = producer_max_request_bytes(limits, max_event_bytes)
    if request < max_event_bytes + limits.producer_headroom_bytes:
        problems.append(
            (
                "limits.producer_max_request_bytes",
                f"{request} cannot carry a dead letter of a {max_event_bytes}-byte event "
                f"(worker.max_event_bytes) plus {limits.producer_headroom_bytes} bytes of "
                "headers; raise it or leave it 0 to derive it",
            )
        )
    if limits.dead_letter_keep_bytes > max_event_bytes:
        problems.append(
            (
                "limits.dead_letter_keep_bytes",
                f"{limits.dead_letter_keep_bytes} is over worker.max_event_bytes "
                f"({max_event_bytes}); a truncated dead letter must be smaller than a full one",
            )
        )
    if limits.event_timeout_s > limits.batch_timeout_s:
        problems.append(("limits.event_timeout_s", "must not exceed limits.batch_timeout_s"))
    return problems

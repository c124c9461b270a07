"""Read and follow `guardstream.control`, feeding live thresholds into a `ThresholdState`.

The broker is the source of truth: a worker reads the whole topic before it scores its first
event, then follows it, so a change applies to events scored after it arrives, with no restart.
Tansu accepts `cleanup.policy=compact` but never compacts, so the latest record per key wins
(`ThresholdState.apply` keeps topic order). No consumer group: every worker reads everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from guardstream.contracts import ThresholdRecord, threshold_key
from guardstream.detectors.thresholds import ThresholdState, threshold_problem
from guardstream.errors import ThresholdError
from guardstream.streams.decoding import describe_validation_error
from guardstream.streams.settings import Settings
from guardstream.streams.topic_snapshot import (
    FETCH_WAIT_MS,
    in_order,
    read_to_end,
    read_topic_snapshot,
    snapshot_consumer,
)

if TYPE_CHECKING:
    import faust

log = logging.getLogger(__name__)

THRESHOLD_PREFIX = "threshold/"


def parse_control(record: ConsumerRecord) -> ThresholdRecord | None:
    """A threshold record, or None (logged) for keys of other kinds or records that do not parse.

    A bad record must not stop a worker: it is skipped and the previous value stays in force.
    """
    key = (record.key or b"").decode("utf-8", "replace")
    if not key.startswith(THRESHOLD_PREFIX):
        return None  # other kinds of control records (severity, suppression) are not ours
    try:
        parsed = ThresholdRecord.model_validate(json.loads(record.value or b"null"))
    except (ValidationError, ValueError) as exc:
        log.warning("control record %s at offset %d ignored: %s", key, record.offset, exc)
        return None
    if parsed.key != key:
        log.warning(
            "control record %s at offset %d names %s; ignored", key, record.offset, parsed.key
        )
        return None
    return parsed


def parse_all(records: list[ConsumerRecord]) -> list[ThresholdRecord]:
    return [parsed for parsed in map(parse_control, records) if parsed is not None]


async def read_control(settings: Settings, timeout_s: float = 30.0) -> list[ThresholdRecord]:
    """Every threshold record on the control topic, in topic order (CLI, client, tests)."""
    return parse_all(await read_topic_snapshot(settings, settings.topics.control, timeout_s))


class ControlFollower:
    """Loads the control topic into `state`, then applies each new record as it arrives.

    A load that fails or runs out of time is retried (with back-off, a fresh consumer each
    time) for as long as the worker runs: a follower that gave up left the worker alive but
    refusing to score for good (seen under load: "control topic not loaded in time").
    """

    def __init__(self, settings: Settings, state: ThresholdState, timeout_s: float = 60.0):
        self.settings = settings
        self.state = state
        self.timeout_s = timeout_s
        self.loaded = asyncio.Event()
        self.applied = 0
        self.load_failures = 0

    async def ready(self) -> None:
        """Wait until the whole topic is applied (never score on stale thresholds); say so
        every `timeout_s` while it is not."""
        waited = 0.0
        while True:
            try:
                await asyncio.wait_for(asyncio.shield(self.loaded.wait()), self.timeout_s)
                return
            except TimeoutError:
                waited += self.timeout_s
                log.warning(
                    "control topic %s not loaded after %.0f s (%d failed load(s)); not scoring "
                    "until it is", self.settings.topics.control, waited, self.load_failures,
                )  # fmt: skip

    async def run(self) -> None:
        backoff = 1.0
        while True:
            consumer = snapshot_consumer(self.settings)
            try:
                await consumer.start()
                loaded = await read_to_end(consumer, self.settings.topics.control, self.timeout_s)
            except Exception as exc:  # retried: the worker must not stop scoring for good
                self.load_failures += 1
                log.warning(
                    "loading the control topic failed (%s); retrying in %.0f s", exc, backoff
                )
                with contextlib.suppress(Exception):
                    await consumer.stop()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            break
        self.applied += self.state.apply(parse_all(loaded))
        self.loaded.set()
        log.info("control topic loaded: %d threshold record(s)", self.applied)
        try:
            while True:
                try:
                    batches = await consumer.getmany(timeout_ms=FETCH_WAIT_MS * 2)
                except Exception:  # keep following: stale thresholds beat a dead follower
                    log.exception("reading the control topic failed; retrying in 1 s")
                    await asyncio.sleep(1.0)
                    continue
                count = self.state.apply(parse_all(in_order(batches)))
                if count:
                    self.applied += count
                    log.info("applied %d control record(s)", count)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()


def follow_control(app: faust.App, settings: Settings, state: ThresholdState) -> ControlFollower:
    """Run a follower as a task of `app`; the agent awaits `ready()` before its first event."""
    follower = ControlFollower(settings, state)

    @app.task
    async def follow_guardstream_control() -> None:
        await follower.run()

    return follower


def plan_change(
    records: list[ThresholdRecord],
    known_keys: list[str],
    score_key: str,
    *,
    app_id: str | None,
    threshold: float | None,
    enabled: bool,
    set_by: str,
    reason: str,
    alert_overrides: dict[str, Any] | None = None,
) -> ThresholdRecord:
    """Validate a change and build its record (next version of its key); raise ThresholdError.

    `threshold=None` keeps the level's last value: `disable` then `enable` restores it.
    `alert_overrides` (`severity`, `suppress_s`) state the level's overrides afresh; None
    keeps the last record's.
    """
    problem = threshold_problem(score_key, threshold, known_keys)
    if problem is None and not reason.strip():
        problem = "reason must not be empty (--reason TEXT)"
    if problem is None and app_id is not None and not app_id.strip():
        problem = "app id must not be empty"
    if problem is None and not set_by.strip():
        problem = "set_by must not be empty"
    if problem is not None:
        raise ThresholdError(f"{problem}; nothing published")
    key = threshold_key(score_key, app_id)
    same = [r for r in records if r.key == key]
    last = same[-1] if same else None
    if threshold is None and last is not None:
        threshold = last.threshold
    if alert_overrides is None:
        alert_overrides = {"severity": last.severity, "suppress_s": last.suppress_s} if last else {}
    try:
        return ThresholdRecord(
            score_key=score_key,
            app_id=app_id,
            threshold=threshold,
            enabled=enabled,
            version=max((r.version for r in same), default=0) + 1,
            set_by=set_by.strip(),
            reason=reason.strip(),
            **alert_overrides,
        )
    except ValidationError as exc:
        raise ThresholdError(f"{describe_validation_error(exc)}; nothing published") from exc

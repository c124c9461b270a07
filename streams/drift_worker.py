"""Faust wiring for drift: two small agents, added to the worker by `add_drift(app, ...)`.

Each scored batch also publishes its drift rows (`drift_rows.with_drift_rows`) to
`guardstream.drift.rows`, keyed by app_id, so every (app, model) window lives on one partition
(and one worker) whichever user the events came from.
- `guardstream.drift_control` turns `drift-reference/...` records on `guardstream.control` into a
  marker on the same rows topic, so "set reference now" is applied in order with the rows.
- `guardstream.drift_monitor` updates the windows (a faust table with a changelog), publishes
  drift alerts to `llm.alerts` and the latest verdicts to `guardstream.drift.status`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
from pydantic import ValidationError
from threadpoolctl import ThreadpoolController

from guardstream.contracts import DRIFT_REFERENCE_PREFIX, DriftReferenceRecord
from guardstream.detectors.drift.monitor import DriftMonitor, Update
from guardstream.detectors.drift.rows import DriftRow
from guardstream.streams.agent_loop import next_offsets, raw_messages
from guardstream.streams.batching import commit_offsets, ready_batches
from guardstream.streams.drift_rows import decode_rows
from guardstream.streams.drift_state import TableStates, status_record
from guardstream.streams.settings import Settings

log = logging.getLogger(__name__)
BLAS = ThreadpoolController()


def apply_message(
    message: dict[str, Any], app_id: str, states: TableStates
) -> list[tuple[Any, Update]]:
    """One rows-topic message (rows of one app, or a set-reference marker) to state updates."""
    monitor = states.monitor
    if "set_reference" in message:
        marker = DriftReferenceRecord.model_validate(message["set_reference"])
        at = marker.at.timestamp()
        models = [marker.model] if marker.model else states.models(app_id)
        out = []
        for model in models:
            state = states.get(app_id, model)
            if state.reference_after is None or at > state.reference_after:
                out.append((state, monitor.set_reference(state, at)))
        return out
    by_model: dict[str | None, list[DriftRow]] = defaultdict(list)
    for model, row in decode_rows(message):
        by_model[model].append(row)
    out = []
    for model, rows in by_model.items():
        state = states.get(app_id, model)
        out.append((state, monitor.update(state, rows)))
    return out


def parsed_messages(events: list[Any]) -> list[tuple[Any, dict[str, Any], str]]:
    """(event, message, app_id) of each rows-topic event; one that is not JSON is logged and
    skipped."""
    parsed = []
    for event in events:
        app_id = (event.key or b"").decode()
        try:
            parsed.append((event, json.loads(event.value), app_id))
        except ValueError:
            log.warning("drift: rows message for %s is not JSON; skipped", app_id)
    return parsed


def apply_messages(
    messages: list[tuple[dict[str, Any], str]], states: TableStates
) -> list[tuple[int, Any, Update, bool]]:
    """`apply_message` over messages in order: (index of the message, state, update, whether it
    is the state's last update here). States are shared through `states`' cache, so each update
    sees the ones before it without the table writes in between."""
    # small matrices: BLAS threads cost more than they save. Limited once per batch of
    # messages: entering the limit enumerates the loaded libraries (~5 % of the drift thread
    # when it was entered per message)
    with BLAS.limit(limits=1):
        updates = [
            (n, state, update)
            for n, (message, app_id) in enumerate(messages)
            for state, update in apply_message(message, app_id, states)
        ]
    last_of = {id(state): k for k, (_, state, _) in enumerate(updates)}
    return [(n, s, u, last_of[id(s)] == k) for k, (n, s, u) in enumerate(updates)]


def add_drift(app: faust.App, settings: Settings) -> None:
    """Add the drift agents to the worker app when `drift.enabled` and `drift.worker`."""
    if not (settings.drift.enabled and settings.drift.worker):
        return
    topics = settings.topics
    # acks=False: faust's commit timer must never run for this app. When any topic is acked,
    # it commits every assigned partition, the events topic included, at what was fetched:
    # events in flight would be lost on a crash. These agents commit their own offsets.
    rows_topic = app.topic(
        topics.drift_rows, value_type=bytes, partitions=topics.partitions, acks=False
    )
    control = app.topic(topics.control, value_type=bytes, acks=False)
    table = app.Table(
        "guardstream-drift",
        default=None,
        partitions=topics.partitions,
        # keys are bytes too: faust writes bytes keys raw, but with no key_type it reads the
        # changelog's keys back as JSON, so recovery after a crash failed ("Expecting value")
        # and the restarted worker never scored again
        key_type=bytes,
        value_type=bytes,
    )
    states = TableStates(table, DriftMonitor(settings.drift))
    drift_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardstream-drift")

    @app.on_partitions_revoked.connect
    async def _forget(app: faust.App, revoked: Any, **_: Any) -> None:
        states.forget()  # another worker may own those keys now: reload from the table

    async def commit(event: faust.EventT) -> None:
        message = event.message
        await app.consumer._commit({message.tp: message.offset + 1})

    @app.agent(control, name="guardstream.drift_control")
    async def drift_control(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            key = (event.key or b"").decode("utf-8", "replace")
            if not key.startswith(DRIFT_REFERENCE_PREFIX):
                await commit(event)
                continue
            try:
                marker = DriftReferenceRecord.model_validate_json(event.value or b"null")
            except ValidationError as exc:
                log.warning("drift: control record %s ignored: %s", key, exc)
                await commit(event)
                continue
            body = json.dumps({"set_reference": marker.model_dump(mode="json")}).encode()
            await (await rows_topic.send(key=marker.app_id.encode(), value=body))
            await commit(event)

    @app.agent(rows_topic, name="guardstream.drift_monitor")
    async def drift_monitor(stream: faust.StreamT[bytes]) -> None:
        # Whatever is buffered, together: one message per app and scored batch arrives, and
        # one at a time each cost an executor hand-off, a meta write and a commit round trip.
        loop = asyncio.get_running_loop()
        async for batch in ready_batches(stream, settings.tuning()):
            parsed = parsed_messages(batch)
            messages = [(message, app_id) for _, message, app_id in parsed]
            updates = await loop.run_in_executor(drift_thread, apply_messages, messages, states)
            changed: set[int] = set()  # states whose verdicts or windows moved: a new status
            for n, state, update, last in updates:
                # faust puts a table write on the partition of the stream's current event; the
                # batch bypassed its iteration, so name the event whose message this update is
                stream._set_current_event(parsed[n][0])
                states.write(state, update, meta=last)  # the meta once, after the last update
                for alert in update.alerts:
                    await app.producer.send(
                        topics.alerts, alert.alert_id.encode(),
                        alert.model_dump_json().encode(), None, None, None,
                    )  # fmt: skip
                if update.findings or update.dropped_chunks:
                    changed.add(id(state))
                if last and id(state) in changed:
                    status = json.dumps(status_record(state)).encode()
                    await app.producer.send(
                        topics.drift_status, state.scope_id.encode(), status, None, None, None
                    )
            stream._set_current_event(None)
            # the alerts, statuses and table changelog writes above are only queued: wait until
            # the broker holds them, or a crash after the commit would lose them for good
            await app.producer.flush()
            # at least once: a crash before this replays the batch
            await commit_offsets(app.consumer, next_offsets(raw_messages(batch)))
            for event in batch:
                await stream.ack(event)

"""Drift rows on the wire: one message per app and batch on `guardstream.drift.rows`.

Built in the scoring thread from the batch's ScoreRecords (no JSON re-parse of `llm.scores`) and
published with the batch's other records, so they share its ack-then-commit guarantee. Scalars
travel as JSON; the projected embeddings as one base64 float32 block (NaN where absent), which
decodes about ten times faster than the same floats in JSON.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from guardstream.contracts import ScoreRecord
from guardstream.detectors.drift.metrics import EMBEDDING_DECIMALS, PROJECTION_DIMS
from guardstream.detectors.drift.rows import DEFAULT_RATE_THRESHOLD, DriftRow
from guardstream.streams.agent_loop import Finisher, Scored
from guardstream.streams.delivery import OutRecord
from guardstream.streams.processing import RawMessage
from guardstream.streams.settings import Settings
from guardstream.streams.stages import stage_runner


def row_of(
    record: ScoreRecord, refusal_at: float | None, toxic_at: float | None
) -> DriftRow | None:
    """The same row as `rows.row_from_dict`, read from the model (no JSON round trip)."""
    m = record.metrics
    if m is None:
        return None
    thresholds = record.thresholds
    refusal_at = refusal_at or thresholds.get("refusal", DEFAULT_RATE_THRESHOLD)
    toxic_at = toxic_at or thresholds.get("toxicity", DEFAULT_RATE_THRESHOLD)
    has_response = bool(m.response_chars)
    tokens = (
        None
        if m.input_tokens is None and m.output_tokens is None
        else float((m.input_tokens or 0) + (m.output_tokens or 0))
    )
    return DriftRow(
        event_id=record.event_id,
        ts=record.event_timestamp.timestamp() if record.event_timestamp else 0.0,
        response_chars=float(m.response_chars) if has_response else None,
        latency=m.latency_ms,
        tokens=tokens,
        refusal=None if m.refusal is None else int(m.refusal >= refusal_at),
        toxic=None if m.toxicity is None else int(m.toxicity >= toxic_at),
        language=m.response_language,
        response_embedding=m.response_embedding,
        prompt_embedding=m.prompt_embedding,
    )


def encode_rows(models: Sequence[str | None], rows: Sequence[DriftRow]) -> bytes:
    missing = [float("nan")] * PROJECTION_DIMS
    pairs = [(r.response_embedding or missing, r.prompt_embedding or missing) for r in rows]
    block = np.asarray(pairs, dtype=np.float32).reshape(len(rows), 2, PROJECTION_DIMS)
    scalars = [[model, *row.to_json()[:-2]] for model, row in zip(models, rows, strict=True)]
    body = {"rows": scalars, "embeddings": base64.b64encode(block.tobytes()).decode()}
    return json.dumps(body, separators=(",", ":")).encode()


def decode_rows(body: dict[str, Any]) -> list[tuple[str | None, DriftRow]]:
    raw = base64.b64decode(body["embeddings"])
    block = np.frombuffer(raw, dtype=np.float32).reshape(-1, 2, PROJECTION_DIMS)
    present = (~np.isnan(block[:, :, 0])).tolist()
    # As written in the score record: 4 decimals, in float64.
    lists = np.round(block.astype(np.float64), EMBEDDING_DECIMALS).tolist()
    out = []
    for (model, *scalars), pair, has in zip(body["rows"], lists, present, strict=True):
        row = DriftRow(*scalars, pair[0] if has[0] else None, pair[1] if has[1] else None)
        out.append((model, row))
    return out


def rows_records(scores: Sequence[ScoreRecord], settings: Settings) -> list[OutRecord]:
    """One drift-rows record per app in this batch, keyed by app_id."""
    config = settings.drift
    by_app: dict[str, tuple[list[str | None], list[DriftRow]]] = defaultdict(lambda: ([], []))
    for record in scores:
        row = row_of(record, config.refusal_threshold, config.toxicity_threshold)
        if row is not None and record.app_id:
            models, rows = by_app[record.app_id]
            models.append(record.model)
            rows.append(row)
    topic = settings.topics.drift_rows
    return [
        OutRecord(topic, app_id.encode(), encode_rows(models, rows))
        for app_id, (models, rows) in by_app.items()
    ]


def with_drift_rows(
    finish: Finisher | None, settings: Settings, on_loop: bool = False
) -> Finisher | None:
    """Extend the worker's finish stage (BatchLoop) so each batch also carries its drift rows,
    built from the batch's final score records where the stateful half runs (`stage_runner`)."""
    if not (settings.drift.enabled and settings.drift.worker):
        return finish
    build = stage_runner(on_loop, "guardstream-drift-rows")

    async def run(messages: list[RawMessage], scored: Scored) -> Scored:
        output, records = await finish(messages, scored) if finish else scored
        extra = await build(rows_records, output.scores, settings)
        return output, records + extra

    return run

"""Reference and current windows per (app_id, model), evaluated every few events.

Plain classes, no Kafka: the worker keeps the same `KeyState` in faust tables (rows in chunks,
one per update, so a changelog write carries only the new rows), and `guardstream drift report`
runs the same monitor over a file, so offline equals online.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from guardstream.contracts import Alert
from guardstream.detectors.drift.alerting import drift_alert
from guardstream.detectors.drift.change_points import ChangePoint, for_mean, for_rate
from guardstream.detectors.drift.config import METRICS, DriftConfig
from guardstream.detectors.drift.evaluate import (
    EXTRACT,
    Finding,
    Reference,
    complete,
    evaluate,
    values_of,
)
from guardstream.detectors.drift.rows import DriftRow, scope_of

CHANGE_BLOCK = 20  # change-point detectors read block means: 20x cheaper, less noisy
MAX_MARKERS = 200
REFERENCE_CAP = 50_000


@dataclass
class Chunk:
    id: int
    rows: list[DriftRow]
    values_: dict[str, list[Any]] | None = field(default=None, repr=False, compare=False)

    def values(self) -> dict[str, list[Any]]:
        """Each metric's non-null values, extracted once: every evaluation reads them."""
        if self.values_ is None:
            self.values_ = {m: values_of(m, self.rows) for m in METRICS}
        return self.values_


@dataclass
class Update:
    """What one update changed: chunks to write and delete, alerts and findings to publish."""

    new_chunks: list[tuple[str, Chunk]] = field(default_factory=list)
    dropped_chunks: list[int] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class KeyState:
    """Everything the monitor knows about one (app_id, model)."""

    app_id: str
    model: str | None
    collecting: bool = True
    seen: int = 0
    since_eval: int = 0
    next_chunk: int = 0
    reference_after: float | None = None
    ref_chunks: list[Chunk] = field(default_factory=list)
    cur_chunks: list[Chunk] = field(default_factory=list)
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    markers: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reference_: Reference | None = None
        self.change_points_: dict[str, ChangePoint] = {}
        self.block_: list[DriftRow] = []
        self.top_language_: str | None = None

    @property
    def scope_id(self) -> str:
        return scope_of(self.app_id, self.model)

    def rows(self, chunks: list[Chunk]) -> Iterator[DriftRow]:
        for chunk in chunks:
            yield from chunk.rows

    def meta(self) -> dict[str, Any]:
        """The small part of the state, persisted after every update (rows live in chunks)."""
        return {
            "app_id": self.app_id,
            "model": self.model,
            "collecting": self.collecting,
            "seen": self.seen,
            "since_eval": self.since_eval,
            "next_chunk": self.next_chunk,
            "reference_after": self.reference_after,
            "ref_chunks": [c.id for c in self.ref_chunks],
            "cur_chunks": [c.id for c in self.cur_chunks],
            "episodes": self.episodes,
            "verdicts": self.verdicts,
            "markers": self.markers,
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any], chunk_rows: dict[int, list[DriftRow]]) -> KeyState:
        fields = {k: v for k, v in meta.items() if k not in ("ref_chunks", "cur_chunks")}
        state = cls(**fields)
        state.ref_chunks = [Chunk(i, chunk_rows.get(i, [])) for i in meta["ref_chunks"]]
        state.cur_chunks = [Chunk(i, chunk_rows.get(i, [])) for i in meta["cur_chunks"]]
        return state


class DriftMonitor:
    """Routes rows to their key's windows; evaluates; opens, repeats and closes drift episodes."""

    def __init__(self, config: DriftConfig | None = None) -> None:
        self.config = config or DriftConfig()
        self.states: dict[tuple[str, str | None], KeyState] = {}

    def state(self, app_id: str, model: str | None) -> KeyState:
        key = (app_id, model)
        if key not in self.states:
            self.states[key] = KeyState(app_id, model)
        return self.states[key]

    def set_reference(self, state: KeyState, after_ts: float) -> Update:
        """Start a new reference from events at or after `after_ts`; windows and open episodes
        are dropped (the operator has accepted the new behaviour)."""
        update = Update(dropped_chunks=[c.id for c in (*state.ref_chunks, *state.cur_chunks)])
        state.ref_chunks, state.cur_chunks = [], []
        state.collecting, state.reference_after, state.since_eval = True, after_ts, 0
        state.episodes, state.verdicts = {}, {}
        state.reference_, state.change_points_, state.block_ = None, {}, []
        return update

    def update(self, state: KeyState, rows: Iterable[DriftRow]) -> Update:
        """Feed one batch of a key's rows (event order); evaluate when enough are new."""
        update = Update()
        ref_rows: list[DriftRow] = []
        cur_rows: list[DriftRow] = []
        # the reference chunks only change when collecting ends: count them once, not per row
        held = self._reference_count(state) if state.collecting else 0
        for row in rows:
            state.seen += 1
            if state.collecting:
                where = self._route(state, row, held + len(ref_rows))
                if where == "skip":
                    continue
                if where == "reference":
                    ref_rows.append(row)
                    if not self._reference_full(state, held + len(ref_rows)):
                        continue
                self._flush_reference(state, ref_rows, update)
                ref_rows = []
                if where == "reference":
                    continue
            cur_rows.append(row)
        if ref_rows:
            update.new_chunks.append(("ref", self._chunk(state, state.ref_chunks, ref_rows)))
        if cur_rows:
            update.new_chunks.append(("cur", self._chunk(state, state.cur_chunks, cur_rows)))
            self._trim(state, update)
            self._change_points(state, cur_rows, update)
            state.since_eval += len(cur_rows)
            if state.since_eval >= self.config.evaluate_every:
                state.since_eval = 0
                self._evaluate(state, update)
        return update

    def _by_time(self, state: KeyState) -> bool:
        return self.config.reference == "time_range" and state.reference_after is None

    def _route(self, state: KeyState, row: DriftRow, collected: int) -> str:
        """`skip`, `reference`, or `freeze` (this row ends the reference and is current);
        `collected`: reference rows so far, held and pending."""
        if self._by_time(state):
            start, end = self.config.reference_start, self.config.reference_end
            assert start is not None and end is not None
            if row.ts >= end.timestamp():
                return "freeze"
            if row.ts < start.timestamp() or collected >= REFERENCE_CAP:
                return "skip"
            return "reference"
        if state.reference_after is not None and row.ts < state.reference_after:
            return "skip"
        return "reference"

    def _reference_count(self, state: KeyState) -> int:
        return sum(len(c.rows) for c in state.ref_chunks)

    def _reference_full(self, state: KeyState, collected: int) -> bool:
        if self._by_time(state):
            return False
        return collected >= self.config.reference_events

    def _flush_reference(self, state: KeyState, rows: list[DriftRow], update: Update) -> None:
        if rows:
            update.new_chunks.append(("ref", self._chunk(state, state.ref_chunks, rows)))
        state.collecting = False
        self.prepare(state)

    def _chunk(self, state: KeyState, chunks: list[Chunk], rows: list[DriftRow]) -> Chunk:
        chunk = Chunk(state.next_chunk, rows)
        state.next_chunk += 1
        chunks.append(chunk)
        return chunk

    def prepare(self, state: KeyState) -> None:
        """Derived state (reference statistics, change points) from the persisted rows."""
        reference = Reference(list(state.rows(state.ref_chunks)), self.config)
        state.reference_ = reference
        state.change_points_ = {}
        for metric, (kind, _) in EXTRACT.items():
            values = reference.values[metric]
            if kind == "embedding" or len(values) < self.config.min_samples:
                continue
            if kind == "continuous":
                arr = np.asarray(values, dtype=np.float64)
                block_sd = float(arr.std()) / np.sqrt(CHANGE_BLOCK)
                state.change_points_[metric] = for_mean(float(np.median(arr)), block_sd)
            else:
                state.change_points_[metric] = for_rate()
        top = reference.counters.get("language")
        state.top_language_ = top.most_common(1)[0][0] if top else None
        rows = list(state.rows(state.ref_chunks))
        for start in range(0, len(rows) - CHANGE_BLOCK + 1, CHANGE_BLOCK):
            self._feed_block(state, rows[start : start + CHANGE_BLOCK])  # warm-up: no markers

    def _trim(self, state: KeyState, update: Update) -> None:
        total = sum(len(c.rows) for c in state.cur_chunks)
        while len(state.cur_chunks) > 1 and total - len(state.cur_chunks[0].rows) >= (
            self.config.current_events
        ):
            dropped = state.cur_chunks.pop(0)
            total -= len(dropped.rows)
            update.dropped_chunks.append(dropped.id)

    def _change_points(self, state: KeyState, rows: list[DriftRow], update: Update) -> None:
        if state.reference_ is None:
            self.prepare(state)
        state.block_.extend(rows)
        while len(state.block_) >= CHANGE_BLOCK:
            block, state.block_ = state.block_[:CHANGE_BLOCK], state.block_[CHANGE_BLOCK:]
            for metric, kind in self._feed_block(state, block):
                marker = {
                    "metric": metric,
                    "ts": block[-1].ts,
                    "seen": state.seen,
                    "detector": kind,
                }
                state.markers = [*state.markers, marker][-MAX_MARKERS:]
                update.markers.append(marker)

    def _feed_block(self, state: KeyState, block: list[DriftRow]) -> list[tuple[str, str]]:
        """Feed one block's means to the change-point detectors; the ones that fired."""
        fired: list[tuple[str, str]] = []
        for metric, detector in state.change_points_.items():
            values = values_of(metric, block)
            if metric == "language":
                values = [float(v == state.top_language_) for v in values]
            if values and detector.update(sum(values) / len(values)):
                fired.append((metric, detector.kind))
        return fired

    def _window(self, state: KeyState) -> tuple[list[DriftRow], dict[str, list[Any]]]:
        """The last `current_events` rows and their values per metric (cached per chunk)."""
        need, picked = self.config.current_events, []
        for chunk in reversed(state.cur_chunks):
            if need <= 0:
                break
            picked.append((chunk, min(need, len(chunk.rows))))
            need -= len(chunk.rows)
        rows: list[DriftRow] = []
        columns: dict[str, list[Any]] = {m: [] for m in METRICS}
        for chunk, take in reversed(picked):
            part = chunk.rows[-take:]
            rows += part
            values = (
                chunk.values() if take == len(chunk.rows)
                else {m: values_of(m, part) for m in METRICS}
            )  # fmt: skip
            for metric in METRICS:
                columns[metric] += values[metric]
        return rows, columns

    def _evaluate(self, state: KeyState, update: Update) -> None:
        if state.reference_ is None:
            self.prepare(state)
        assert state.reference_ is not None
        current, columns = self._window(state)
        if len(current) < self.config.min_samples:
            return
        for finding in evaluate(state.reference_, current, self.config, columns=columns):
            update.findings.append(finding)
            state.verdicts[finding.metric] = {
                "effect_size": round(finding.effect_size, 4),
                "threshold": finding.threshold,
                "p_value": finding.p_value,
                "drifted": finding.drifted,
                "ts": finding.window["current_end"],
                "reference": finding.reference,
                "current": finding.current,
            }
            alert = self._episode(state, finding, current)
            if alert is not None:
                update.alerts.append(alert)

    def _episode(self, state: KeyState, finding: Finding, current: list[DriftRow]) -> Alert | None:
        """One open alert per metric; repeated after `suppress_s` of event time, closed once the
        effect falls below `clear_ratio` of the threshold."""
        now = finding.window["current_end"]
        open_ = state.episodes.get(finding.metric)
        if not finding.drifted:
            if open_ and finding.effect_size < finding.threshold * self.config.clear_ratio:
                del state.episodes[finding.metric]
            return None
        if open_ and now - open_["alerted_ts"] < self.config.suppress_s:
            return None
        if state.reference_ is not None:
            finding = complete(state.reference_, finding, current)
        episode = f"{finding.window['reference_start']}|{finding.window['current_start']}"
        state.episodes[finding.metric] = {"episode": episode, "alerted_ts": now}
        return drift_alert(state.app_id, state.scope_id, finding, episode, self.config.severity)
